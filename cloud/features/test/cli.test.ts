import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const BIN = join(import.meta.dirname, '../../../cli/bin/tapflow.js')
const run = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, 'features', ...args])
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('tapflow features (CLI)', () => {
  const empty = mkdtempSync(join(tmpdir(), 'tapflow-features-cli-'))
  afterAll(() => rmSync(empty, { recursive: true, force: true }))

  it('lists the catalogue: name, entity, type, TTL, description', async () => {
    const r = await run('ls')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^pour_count_24h\s+device\s+int64\s+7d\s+device_pours\s+Pours in the last 24 h$/m)
    const json = JSON.parse((await run('ls', '--json', '--entity', 'venue')).stdout) as { entity: string }[]
    expect(json.length).toBeGreaterThan(10)
    expect(new Set(json.map((f) => f.entity))).toEqual(new Set(['venue']))
  })

  it('says what is wrong in one line and exits 2', async () => {
    const bad = [
      [['ls', '--entity', 'truck'], /unknown entity 'truck'/],
      [['get', '--entity', 'tap-1'], /expected <entity>=<id>/],
      [['get', '--entity', 'device=tap-1', '--data-dir', empty], /no TapFlow data in/],
      [['dataset', '--entity', 'device', '--labels', 'x.csv', '--out', 'x.xlsx', '--data-dir', empty], /extension must be one of \.csv/],
    ] as const
    for (const [args, msg] of bad) {
      const r = await run(...args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr).toMatch(msg)
    }
  })
})
