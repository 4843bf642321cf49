import { spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../../test/peers/index.js'
import { until } from '../../test/utils/index.js'

/**
 * Ctrl-C on `tapflow up` with the business running: the stack drains, flushes and exits 0. The embedded
 * PostgreSQL package installs exit hooks that used to stop PostgreSQL and exit 130 mid-shutdown, before the
 * gateway's flush (and chDB once crashed, torn down mid-query).
 */
describe('tapflow up, Ctrl-C with the business running', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tapflow-up-sigint-'))
  chmodSync(dataDir, 0o755) // as root, embedded PostgreSQL runs as the postgres user and must reach its directory
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('flushes every acknowledged frame and exits 0', async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()])
    const [mqtt, web, sql, grpc] = ports.map(String) as [string, string, string, string]
    // Run from the data dir: the lake (<data-dir>/lake) must be under the working directory, and Ctrl-C closes it too.
    const child = spawn(process.execPath, [
      join(import.meta.dirname, '../bin/tapflow.js'), 'up', '--devices', '100', '--history-days', '2', '--opcua-chillers', '0', '--data-dir', dataDir,
      '--mqtt-port', mqtt, '--web-port', web, '--sql-port', sql, '--grpc-port', grpc, '--features-port', '0',
    ], { cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    // Frames are landing: the fleet, the gateway and the business are all up.
    const landing = async (): Promise<boolean> => {
      const r = await fetch(`http://127.0.0.1:${web}/status`).catch(() => undefined)
      return r?.ok === true && ((await r.json()) as { framesIn?: number }).framesIn! > 0
    }
    await until(landing, 'frames to land', 90_000, 500)
    child.kill('SIGINT')
    expect(await exit, out.slice(-3000)).toBe(0)
    expect(out).toContain('every acknowledged frame is in ClickHouse')
  })
})
