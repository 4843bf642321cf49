import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../common/index.js'
import {
  ChampionScorer, FeatureStore, ModelRegistry, buildMaintenanceDataset, compareOnWindow, gbdtToOnnx, labelPoints, openDatabase, prAuc, readGroundTruth,
  simulateHistory, startEmbeddedPostgres, trainGbdt, type Database, type Dataset, type EmbeddedPostgresHandle,
} from '../../cloud/index.js'
import type { ModelComparison } from '../../dashboards/index.js'
import { applyRetention, migrate, openClickHouse, type ClickHouseHandle } from '../../edge-gateway/index.js'
import { parseManifest } from '../../firmware-sim/index.js'
import { formatComparison } from '../commands/models-compare.js'
import { DriftUp, driftReportDir } from '../drift-up.js'
import { DRIFT_REFERENCE_FILE, type DriftReference } from '../models-bootstrap-reference.js'

const H = 3_600_000
const D = 24 * H
const TO = Date.UTC(2026, 9, 4)
const FROM = TO - 3 * D
const MODE = 'cooling-failure'

/** 12 taps; half lose cooling about twice a day, failing 8 h after onset. */
const MANIFEST = `
name: compare-test
seed: 11
generate: { taps: 12, taps_per_venue: [3, 4] }
profiles:
  - profile: cooling-failure
    share: 0.5
    params: { hazard_per_day: 2, progression: 8h, max_rise_c: 10 }
`

let pg: EmbeddedPostgresHandle | undefined
let db: Database
let ch: ClickHouseHandle
let registry: ModelRegistry
let dir: string
let ds: Dataset

/** A one-mode maintenance version as training registers it (model.json, ONNX, a 24 h horizon), under `alias`. */
async function register(y: Float32Array, alias: string): Promise<number> {
  const gbdt = trainGbdt(ds.x, y, { objective: 'binary', iterations: 20, minSamplesLeaf: 5 })
  const onnx = `model.${MODE}.onnx`
  const manifest = { schema: 'tapflow.model/1', name: 'maintenance', kind: 'maintenance', featureNames: ds.featureNames, targets: { [MODE]: { objective: 'binary', onnx, threshold: 0.5, trees: gbdt.treeCount, gbdt: gbdt.toJSON() } } }
  const v = await registry.registerVersion({
    name: 'maintenance', artifacts: { 'model.json': JSON.stringify(manifest), [onnx]: gbdtToOnnx(gbdt, { featureNames: ds.featureNames, name: 'maintenance_cooling' }) },
    metrics: {}, params: { horizonHours: 24 }, featureViews: ds.featureViews, window: ds.window, codeVersion: 'test',
  })
  await registry.setAlias('maintenance', alias, v.version)
  return v.version
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tapflow-models-compare-'))
  await chmod(dir, 0o755) // as root, PostgreSQL runs as the postgres user and must reach its cluster inside
  pg = await startEmbeddedPostgres({ dir: join(dir, 'postgres'), logger: silentLogger })
  db = await openDatabase({ databaseUrl: pg.url, logger: silentLogger })
  registry = await ModelRegistry.open({ db, artifactsDir: join(dir, 'models') })
  ch = openClickHouse({ path: join(dir, 'clickhouse') })
  await migrate(ch.client)
  await applyRetention(ch.client, { rawDays: 0, rollupDays: 0, deadLetterDays: 0 }) // fixed dates: no wall-clock TTL
  await simulateHistory({ clickhouse: ch, manifest: parseManifest(MANIFEST, 'test'), from: FROM, to: TO, repairAfterMs: 2 * H })
  ds = await buildMaintenanceDataset({ client: ch.client, from: FROM, to: TO, step: 2 * H, horizon: D, warmup: 0, modes: [MODE] })
}, 120_000)

afterAll(async () => {
  await registry?.close()
  await db?.close()
  await pg?.close()
  await ch?.client.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('champion against challenger on the latest live window', () => {
  it('scores both on the same rows of the window, labelled from ground truth, and drift in up keeps it in latest.json', async () => {
    const y = ds.targets[MODE]!
    expect(y.filter((v) => v === 1).length).toBeGreaterThan(5)
    const champion = await register(y, 'champion')
    // The drift reference is the champion's own training sample, so the check needs no retrain.
    const ref: DriftReference = { featureNames: ds.featureNames, columns: ds.featureNames.map((_, c) => Array.from({ length: ds.x.rows }, (_, r) => ds.x.values[r * ds.x.cols + c]!).map((v) => (Number.isNaN(v) ? null : v))), window: ds.window }
    await writeFile(join(dir, 'models', 'maintenance', String(champion), DRIFT_REFERENCE_FILE), JSON.stringify(ref))
    const drift = new DriftUp({ db, client: ch.client, dataDir: dir, clock: { now: () => TO }, logger: silentLogger })
    const first = await drift.check(TO)
    const alone = first!.comparison!
    expect(alone).toMatchObject({ window: { from: TO - D, to: TO, everyMs: 6 * H }, entities: 12, rows: 48, horizonHours: 24, champion: { ref: `maintenance@${champion}` }, challenger: null })
    expect(alone.modes.map((m) => m.mode)).toEqual([MODE])
    expect((JSON.parse(await readFile(join(driftReportDir(dir), 'latest.json'), 'utf8')) as { comparison: ModelComparison }).comparison).toEqual(alone)

    // The challenger learnt shuffled labels: same rows, a worse ranking.
    const shuffled = Float32Array.from(y, (_, i) => y[(i * 7919) % y.length]!)
    const challenger = await register(shuffled, 'challenger')
    await drift.refreshComparison()
    await drift.close()
    const c = drift.status()!.comparison!
    expect((JSON.parse(await readFile(join(driftReportDir(dir), 'latest.json'), 'utf8')) as { comparison: ModelComparison }).comparison).toEqual(c)
    expect(c.challenger).toEqual({ ref: `maintenance@${challenger}`, version: challenger })
    const mode = c.modes[0]!
    expect(mode.positives).toBeGreaterThan(0)
    expect(mode.rows).toBeGreaterThan(mode.positives)
    expect(mode.champion!.prAuc!).toBeGreaterThan(mode.challenger!.prAuc!)
    expect(mode.better).toBe('champion')
    expect(c.overall).toMatchObject({ mode: 'all', rows: mode.rows, positives: mode.positives, better: 'champion' })

    // Independently: each tap at each sample time from the store, scored by the champion, labelled by the rule.
    const store = new FeatureStore({ clickhouse: ch.client, clock: { now: () => TO } })
    const ids = [...new Set(ds.rows.map((r) => r.entity))].sort()
    const points = ids.flatMap((entity) => [TO - 3 * 6 * H, TO - 2 * 6 * H, TO - 6 * H, TO].map((ts) => ({ entity, ts })))
    const got = await store.getHistoricalFeatures({ entity: 'device', rows: points.map((p) => ({ entityId: p.entity, ts: p.ts })), features: ds.featureNames })
    const x = Float32Array.from(got.flatMap((row) => ds.featureNames.map((f) => (typeof row.values[f] === 'number' ? row.values[f] : Number.NaN))))
    const scorer = await ChampionScorer.open({ registry })
    const scores = (await scorer.scoreRows(x, points.length))[MODE]!
    await scorer.close()
    const labels = labelPoints(await readGroundTruth(ch.client, 0, TO + D + 1), points, { horizonMs: D, modes: [MODE] })[MODE]!
    expect(mode.positives).toBe(labels.filter((v) => v === 1).length)
    expect(mode.champion!.prAuc).toBeCloseTo(prAuc(labels, scores), 12)
    expect(mode.champion!.flagged).toBe(scores.filter((s, i) => s >= 0.5 && !Number.isNaN(labels[i]!)).length)

    // The CLI's table and the module agree; a promoted challenger (same version) is no challenger.
    expect(formatComparison(c)).toMatch(new RegExp(`champion maintenance@${champion}, challenger maintenance@${challenger}`))
    expect(formatComparison(c).split('\n').find((l) => l.startsWith(MODE))).toContain('*')
    await registry.setAlias('maintenance', 'champion', challenger)
    const promoted = await compareOnWindow({ client: ch.client, registry, from: TO - D, to: TO })
    expect(promoted).toMatchObject({ champion: { version: challenger }, challenger: null })
    expect(formatComparison(promoted!)).toMatch(/no challenger yet/)
  }, 60_000)
})
