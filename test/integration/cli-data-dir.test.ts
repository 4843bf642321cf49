import { execFile } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '../..')
const asRoot = process.getuid?.() === 0

/**
 * Runs the CLI to completion (asynchronously: a blocked test worker cannot report to vitest). `asNobody` drops to
 * uid 65534, because root ignores permission bits.
 */
function tapflow(args: string[], asNobody = false): Promise<{ status: number | null; stderr: string }> {
  const cmd = asNobody && asRoot ? ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups', process.execPath] : [process.execPath]
  return new Promise((resolve) => {
    const child = execFile(cmd[0]!, [...cmd.slice(1), 'cli/bin/tapflow.js', ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'warn', HOME: tmpdir() }, timeout: 90_000 }, (_err, _stdout, stderr) => {
      resolve({ status: child.exitCode, stderr })
    })
  })
}

/** One line on stderr, naming the path, exit 2. */
function expectClearRefusal(r: { status: number | null; stderr: string }, path: string, fix: RegExp): void {
  expect(r.status, r.stderr).toBe(2)
  const lines = r.stderr.trim().split('\n')
  expect(lines, r.stderr).toHaveLength(1)
  expect(lines[0]).toContain(path)
  expect(lines[0]).toMatch(fix)
}

describe('clear --data-dir errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapflow-datadir-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const ports = ['--mqtt-port', '0', '--web-port', '0', '--sql-port', '0']

  it('a data dir that is a file, or lies under one: up, gateway and sql refuse in one line, exit 2', async () => {
    const file = join(dir, 'not-a-dir')
    writeFileSync(file, 'x')
    expectClearRefusal(await tapflow(['gateway', '--data-dir', file, ...ports]), file, /is a file, not a directory: pass a directory/)
    expectClearRefusal(await tapflow(['up', '--devices', '1', '--data-dir', join(file, 'data'), ...ports]), file, /is under .* which is a file/)
    expectClearRefusal(await tapflow(['sql', '--data-dir', file, 'SELECT 1']), file, /is a file/)
  })

  // As root, permission bits do not stop writes, so the CLI runs as uid 65534 against a root-owned 0555 directory:
  // this checks "not writable for the user running tapflow", which is also what a read-only mount gives (EROFS).
  it('a data dir this user cannot write: exit 2, naming the path and the fix', async () => {
    const ro = join(dir, 'read-only')
    mkdirSync(ro)
    chmodSync(ro, 0o555)
    chmodSync(dir, 0o755)
    expectClearRefusal(await tapflow(['gateway', '--data-dir', ro, ...ports], true), ro, /is not writable \(EACCES\): make it writable/)
    expectClearRefusal(await tapflow(['gateway', '--data-dir', join(ro, 'data'), ...ports], true), join(ro, 'data'), /is not writable/)
  })

  it('a data dir a running tapflow owns (its stack.json names a live pid): exit 2, naming the pid', async () => {
    const busy = join(dir, 'busy')
    mkdirSync(busy)
    // This test's own process stands in for the running stack: its pid is alive.
    writeFileSync(join(busy, 'stack.json'), JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString(), mqttUrl: 'mqtt://127.0.0.1:1', webUrl: 'http://127.0.0.1:1' }))
    expectClearRefusal(await tapflow(['gateway', '--data-dir', busy, ...ports]), busy, new RegExp(`in use by another tapflow \\(pid ${process.pid}.*stop it, or pass another --data-dir`))
  })
})
