import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../../common/index.js'
import { openDatabase, type Database } from '../../index.js'
import { startTestServer, type TestServer } from '../../test/pg-server.js'
import { GbdtModel, ModelRegistry, sliceDataset, trainModel, type EvaluationReport, type TrainProgress } from '../index.js'
import { syntheticMaintenance } from './eval-fixtures.js'

let server: TestServer | undefined
let db: Database
let dir: string

beforeAll(async () => {
  server = await startTestServer()
  if (server === undefined) return
  db = await openDatabase({ databaseUrl: await server.createDatabase('train'), logger: silentLogger })
  dir = mkdtempSync(join(tmpdir(), 'tapflow-train-'))
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('training orchestration', () => {
  it('trains one GBDT per mode, evaluates, exports ONNX and registers champion then challenger', async (ctx) => {
    if (server === undefined) return ctx.skip()
    await using registry = await ModelRegistry.open({ db, artifactsDir: dir })
    const ds = syntheticMaintenance({ devices: 16, days: 15 })
    const progress: TrainProgress[] = []
    const params = { iterations: 40, earlyStoppingRounds: 5, minSamplesLeaf: 10 }
    const first = await trainModel({ kind: 'maintenance', dataset: ds, registry, params, horizonMs: 24 * 3_600_000, codeVersion: 'git:t', onProgress: (p) => progress.push(p) })
    expect(first.version.version).toBe(1)
    expect(first.aliases).toEqual(['challenger', 'champion'])
    expect(progress.some((p) => p.stage === 'train' && p.target === 'cooling' && p.done > 0)).toBe(true)
    expect(progress.at(-1)?.stage).toBe('register')

    const v = await registry.getVersion('maintenance@champion')
    expect(Object.keys(v.artifacts).sort()).toEqual(['model.cooling.onnx', 'model.json', 'model.seal_leak.onnx', 'report.html', 'report.json'])
    expect(v.featureViews).toEqual([{ name: 'device_health', version: 1 }])
    expect(v.window).toEqual(ds.window)
    expect(v.reportPath).toBe(join(dir, 'maintenance', '1', 'report.html'))
    expect(v.metrics).toHaveProperty('cooling.pr_auc')
    expect(v.params).toMatchObject({ gbdt: { iterations: 40 }, horizonHours: 24, minPrecision: 0.9 })

    // The report on disk is the one returned, and the model beats the prevalence baseline on every mode.
    const report = JSON.parse(readFileSync(join(v.artifactDir, 'report.json'), 'utf8')) as EvaluationReport
    expect(report.version).toBe(1)
    expect(report.evaluations).toHaveLength(2)
    for (const e of report.evaluations) {
      if (e.kind !== 'classifier') throw new Error('classifier expected')
      expect(e.importance.method).toBe('gain')
      expect(e.test.prAuc).toBeGreaterThan(e.baselines.find((b) => b.name === 'prevalence')?.prAuc ?? 1)
    }

    // The registered JSON model and its ONNX export score the same test rows alike.
    const manifest = JSON.parse(Buffer.from(await registry.loadArtifact('maintenance@1', 'model.json')).toString()) as {
      featureNames: string[]; targets: Record<string, { onnx: string; threshold: number; gbdt: ConstructorParameters<typeof GbdtModel>[0] }>
    }
    expect(manifest.featureNames).toEqual(ds.featureNames)
    const cooling = manifest.targets.cooling!
    const model = GbdtModel.fromJSON(cooling.gbdt)
    const test = sliceDataset(ds, 'test', 'cooling')
    const session = await ort.InferenceSession.create(await registry.loadArtifact('maintenance@1', cooling.onnx))
    const out = await session.run({ features: new ort.Tensor('float32', test.x.values, [test.x.rows, test.x.cols]) })
    const probs = out.probabilities?.data as Float32Array
    const ours = model.predictBatch(test.x)
    for (let r = 0; r < test.x.rows; r += 37) expect(probs[r * 2 + 1]).toBeCloseTo(ours[r] as number, 5)
    await session.release()

    const second = await trainModel({ kind: 'maintenance', dataset: ds, registry, params, codeVersion: 'git:t' })
    expect(second.version.version).toBe(2)
    expect(second.aliases).toEqual(['challenger'])
    expect((await registry.getVersion('maintenance@champion')).version).toBe(1)
    expect((await registry.getVersion('maintenance@challenger')).version).toBe(2)
    expect(existsSync(join(dir, 'maintenance', '2', 'report.html'))).toBe(true)
  })

  it('names a single-target model model.onnx, and skips a target with no positives', async (ctx) => {
    if (server === undefined) return ctx.skip()
    await using registry = await ModelRegistry.open({ db, artifactsDir: dir })
    const ds = syntheticMaintenance({ devices: 8, days: 15, seed: 3 })
    const single = { ...ds, name: 'churn', targets: { churn: ds.targets.cooling! } }
    const r = await trainModel({ kind: 'churn', dataset: single, registry, params: { iterations: 20 } })
    expect(Object.keys(r.version.artifacts)).toContain('model.onnx')
    expect(r.report.evaluations[0]).not.toHaveProperty('leadTime')

    const none = { ...ds, targets: { cooling: ds.targets.cooling!, never: new Float32Array(ds.rows.length) } }
    // Ground-truth failure times: only those of the mode, of a dataset device, inside the test window after its first horizon count.
    const testTs = ds.rows.filter((r) => r.split === 'test' && r.entity === 'tap-000').map((r) => r.ts)
    const last = Math.max(...testTs)
    const failures = [
      { entity: 'tap-000', mode: 'cooling', ts: last }, { entity: 'tap-000', mode: 'seal_leak', ts: last },
      { entity: 'tap-999', mode: 'cooling', ts: last }, { entity: 'tap-000', mode: 'cooling', ts: Math.min(...testTs) + 3_600_000 },
    ]
    const s = await trainModel({ kind: 'maintenance', name: 'skips', dataset: none, registry, params: { iterations: 20 }, failures, horizonMs: 24 * 3_600_000 })
    const cooling = s.report.evaluations[0]
    expect(cooling?.kind === 'classifier' && cooling.leadTime).toMatchObject({ failures: 1, failureTimes: 'ground truth' })
    expect(s.skipped).toEqual([{ target: 'never', reason: 'no positive row in train' }])
    expect(s.report.notes).toContain('never: not trained: no positive row in train')
  })
})
