import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EvaluationReport } from '../index.js'

// Each CLI run loads the TypeScript through tsx (seconds on a busy machine); the training run simulates nine days.
const CLI_TIMEOUT = 300_000
const E2E_TIMEOUT = 900_000
const BIN = fileURLToPath(new URL('../../../cli/bin/tapflow.js', import.meta.url))

function tapflow(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('node', [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    p.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

// A small fleet with two physical modes at high hazard, so nine days hold failures in every slice.
const MANIFEST = `name: e2e
seed: 7
defaults: { firmware: 1.4.2, pours_per_day: 60 }
generate: { taps: 30, taps_per_venue: [4, 8] }
profiles:
  - profile: cooling-failure
    share: 0.5
    params: { hazard_per_day: 0.3, progression: 36h, max_rise_c: 8 }
  - profile: clogged-line
    share: 0.5
    params: { hazard_per_day: 0.3, progression: 48h, flow_drop: 0.5 }
`

let dir: string

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tapflow-models-e2e-'))
  // The embedded PostgreSQL runs as its own user and must reach its cluster inside.
  chmodSync(dir, 0o755)
  writeFileSync(join(dir, 'e2e.yaml'), MANIFEST)
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('models end to end: simulate → train → evaluate → register', () => {
  it('rejects bad input with one line and exit 2', async () => {
    const empty = join(dir, 'empty')
    const ls = await tapflow('models', 'ls', '--data-dir', empty)
    expect(ls.code).toBe(2)
    expect(ls.stderr.trim()).toMatch(/^tapflow: no model registry in .*: train a model first/)
    const bad = await tapflow('models', 'show', 'Maint@x', '--data-dir', empty)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/bad model name 'Maint'/)
    expect((await tapflow('models', 'train', '--model', 'nope')).code).toBe(2)
    expect((await tapflow('models', 'train', '--min-precision', '2')).code).toBe(2)
    const help = await tapflow('models', 'promote', '--help')
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/--alias <alias>/)
  }, CLI_TIMEOUT)

  it('trains on a simulated history, registers a champion with a report that beats the trivial baseline', async () => {
    const data = join(dir, 'data')
    const sim = await tapflow('models', 'simulate', '--manifest', join(dir, 'e2e.yaml'), '--days', '9', '--data-dir', data)
    expect(sim.code, sim.stderr).toBe(0)
    // A second fleet over the first's telemetry would collide with its ids: refused, in one line.
    const again = await tapflow('models', 'simulate', '--manifest', join(dir, 'e2e.yaml'), '--days', '9', '--data-dir', data)
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/already holds telemetry/)
    const train = await tapflow('models', 'train', '--model', 'maintenance', '--iterations', '60', '--data-dir', data)
    expect(train.code, train.stderr).toBe(0)
    expect(train.stdout).toMatch(/^maintenance@1 registered \(@challenger, @champion\)/m)

    const reportFile = join(data, 'models', 'maintenance', '1', 'report.json')
    expect(existsSync(join(data, 'models', 'maintenance', '1', 'report.html'))).toBe(true)
    expect(existsSync(join(data, 'models', 'maintenance', '1', 'drift-reference.json')), 'up\'s drift check needs the champion\'s training sample').toBe(true)
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as EvaluationReport
    expect(report).toMatchObject({ schema: 'tapflow.model-report/1', model: 'maintenance', version: 1, dataset: { name: 'maintenance', horizonHours: 24 } })
    expect(report.dataset.split.map((s) => s.split)).toEqual(['train', 'validation', 'test'])
    const [tr, va, te] = report.dataset.split
    expect(Date.parse(va!.from!)).toBeGreaterThan(Date.parse(tr!.to!))
    expect(Date.parse(te!.from!)).toBeGreaterThan(Date.parse(va!.to!))
    const trained = report.evaluations.map((e) => e.target)
    expect(trained).toEqual(expect.arrayContaining(['cooling-failure', 'clogged-line']))
    for (const e of report.evaluations) {
      if (e.kind !== 'classifier') throw new Error(`${e.target}: a classifier was expected`)
      expect(e.threshold.rule).toMatch(/^(precision>=0.9|max-f1)$/)
      expect(e.test.confusion.tp + e.test.confusion.fp + e.test.confusion.fn + e.test.confusion.tn).toBe(e.rows.test)
      expect(e.leadTime).toBeDefined()
      expect(e.importance.values.length).toBe(report.dataset.features)
      const prevalence = e.baselines.find((b) => b.name === 'prevalence')?.prAuc
      if (e.positives.test > 0) expect(e.test.prAuc, `${e.target} PR-AUC vs prevalence`).toBeGreaterThan(prevalence ?? 1)
    }

    const ls = await tapflow('models', 'ls', '--data-dir', data)
    expect(ls.code, ls.stderr).toBe(0)
    expect(ls.stdout).toMatch(/^maintenance {2}\(1 version; @challenger=1 @champion=1\)/m)
    expect(ls.stdout).toMatch(/cooling-failure: PR-AUC \d\.\d{3}/)

    const show = await tapflow('models', 'show', 'maintenance@champion', '--data-dir', data, '--json')
    expect(show.code, show.stderr).toBe(0)
    const v = JSON.parse(show.stdout) as { version: number; reportPath: string; codeVersion: string; window: { source: string }; artifacts: Record<string, string> }
    expect(v.version).toBe(1)
    expect(v.reportPath).toBe(join(data, 'models', 'maintenance', '1', 'report.html'))
    expect(v.window.source).toMatch(/^clickhouse:tapflow /)
    expect(v.codeVersion).toMatch(/^(git:|tapflow@)/)
    expect(Object.keys(v.artifacts)).toEqual(expect.arrayContaining(['model.json', 'model.cooling-failure.onnx', 'report.html']))

    const promote = await tapflow('models', 'promote', 'maintenance@1', '--alias', 'shadow', '--data-dir', data)
    expect(promote.stdout.trim()).toBe('maintenance@shadow → 1 (new alias)')
    const missing = await tapflow('models', 'promote', 'maintenance@5', '--data-dir', data)
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/maintenance@5: no such version \(maintenance has versions 1…1, aliases challenger, champion, shadow\)/)
  }, E2E_TIMEOUT)
})
