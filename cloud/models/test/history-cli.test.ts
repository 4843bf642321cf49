import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const BIN = join(import.meta.dirname, '../../../cli/bin/tapflow.js')
const run = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, 'models', ...args])
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('tapflow models simulate | dataset (CLI input)', () => {
  const empty = mkdtempSync(join(tmpdir(), 'tapflow-models-cli-'))
  afterAll(() => rmSync(empty, { recursive: true, force: true }))

  it('has --help for both commands', async () => {
    const [sim, ds] = await Promise.all([run('simulate', '--help'), run('dataset', '--help')])
    expect(sim.stdout).toMatch(/--hazard-scale <x>/)
    expect(sim.stdout).toMatch(/fleets\/training\.yaml/)
    expect(ds.stdout).toMatch(/--out <file>/)
    expect(ds.stdout).toMatch(/--horizon <d>/)
  })

  it('says what is wrong in one line and exits 2', async () => {
    const manifest = join(empty, 'venues.yaml')
    writeFileSync(manifest, 'name: x\nvenues:\n  - { name: A, type: pub, timezone: Europe/London, region: uk, taps: 2 }\n')
    const bad = [
      [['simulate', '--days', '0'], /--days <n>.*expected an integer from 1 to 80/],
      [['simulate', '--manifest', manifest, '--taps', '5', '--data-dir', empty], /--taps: .* lists its venues/],
      [['dataset', '--out', 'x.xlsx', '--data-dir', empty], /extension must be one of \.csv/],
      [['dataset', '--out', 'x.csv', '--modes', 'cooling-failure,foo'], /unknown mode 'foo'/],
      [['dataset', '--out', join(empty, 'x.csv'), '--data-dir', empty], /no TapFlow data in .*run 'tapflow models simulate' first/],
    ] as const
    const results = await Promise.all(bad.map(([args]) => run(...args)))
    for (const [i, r] of results.entries()) {
      const [args, msg] = bad[i]!
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stderr, args.join(' ')).toMatch(msg)
      expect(r.stderr.trim().split('\n').filter((l) => !l.startsWith('(run with')).length, args.join(' ')).toBe(1)
    }
  })
})
