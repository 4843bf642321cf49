import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import type { DriftReport } from '../index.js'
import { rng } from './scipy-oracle.js'

const BIN = join(import.meta.dirname, '../../../cli/bin/tapflow.js')
const run = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, 'models', 'drift', ...args])
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('tapflow models drift (CLI, CSV files)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapflow-drift-cli-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const r = rng(11)
  const csv = (name: string, n: number, shift: number): string => {
    const lines = ['device_id,event_timestamp,flow,"beverage, style",score']
    for (let i = 0; i < n; i++) lines.push(`tap-${i},2026-11-20 00:00:00,${(r.normal() + shift).toFixed(4)},"${r.next() < 0.5 ? 'lager' : 'ale, pale'}",${i % 7 === 0 ? '' : (r.normal() + shift).toFixed(3)}`)
    const path = join(dir, name)
    writeFileSync(path, lines.join('\n') + '\n')
    return path
  }
  const ref = csv('ref.csv', 300, 0)
  const cur = csv('cur.csv', 200, 1)
  const same = csv('same.csv', 300, 0)
  const headerOnly = join(dir, 'header-only.csv')
  writeFileSync(headerOnly, 'device_id,flow\n')

  it('compares two CSV files, prints the verdicts, writes the reports and exits 0 on drift', async () => {
    const out = join(dir, 'reports')
    const res = await run('--reference-file', ref, '--current-file', cur, '--prediction', 'score', '--out-dir', out)
    expect(res.stderr).toBe('')
    expect(res.code).toBe(0)
    expect(res.stdout).toMatch(/^dataset drift: YES \(2 of 3 columns drifted/m)
    expect(res.stdout).not.toMatch(/drifted: beverage, style/) // a quoted header with a comma is one column
    expect(res.stdout).toMatch(/prediction drift \(score\): YES \(K-S p-value/)
    expect(readdirSync(out).sort()).toEqual([expect.stringMatching(/^drift-\d{8}T\d{6}Z\.html$/), expect.stringMatching(/^drift-\d{8}T\d{6}Z\.json$/)])
  })

  it('--json prints the report; --fail-on-drift exits 1 only when the dataset drifts', async () => {
    const out = join(dir, 'reports-json')
    const json = await run('--reference-file', ref, '--current-file', cur, '--json', '--out-dir', out, '--features', 'flow,score')
    const report = JSON.parse(json.stdout) as DriftReport
    expect(report.columns.map((c) => [c.column, c.kind, c.test])).toEqual([['flow', 'numeric', 'ks'], ['score', 'numeric', 'ks']])
    expect(report.columns[1]?.current).toMatchObject({ missing: 29 }) // empty cells are missing
    expect((await run('--reference-file', ref, '--current-file', cur, '--fail-on-drift', '--out-dir', out)).code).toBe(1)
    const quiet = await run('--reference-file', ref, '--current-file', same, '--fail-on-drift', '--out-dir', out)
    expect(quiet.stdout).toMatch(/^dataset drift: no/m)
    expect(quiet.code).toBe(0)
  })

  it('says what is wrong in one line and exits 2', async () => {
    const bad = [
      [['--reference-file', ref], /--reference-file and --current-file go together/],
      [['--reference-file', ref, '--current-file', cur, '--current', '2026-11-20T00:00Z/2026-11-21T00:00Z'], /either two CSV files or two windows/],
      [['--current', '2026-11-21/2026-11-20'], /ends before it starts/],
      [['--reference', 'yesterday'], /expected <from>\/<to>/],
      [['--data-dir', join(dir, 'empty')], /no TapFlow data in/],
      [['--reference-file', headerOnly, '--current-file', cur], /nothing to compare: flow has no values in the reference sample/],
      [['--reference-file', ref, '--current-file', cur, '--features', 'nope'], /column 'nope' is not in the reference table/],
    ] as const
    // Side by side: each CLI start loads the whole program.
    const results = await Promise.all(bad.map(([args]) => run(...args)))
    for (const [i, [args, msg]] of bad.entries()) {
      const res = results[i] as Awaited<ReturnType<typeof run>>
      expect(res.code, args.join(' ')).toBe(2)
      expect(res.stderr, args.join(' ')).toMatch(msg)
      expect(res.stderr.trim().split('\n')[0], args.join(' ')).toMatch(msg)
    }
  })
})
