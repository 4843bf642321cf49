import { existsSync } from 'node:fs'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../common/index.js'
import { ModelRegistry, openDatabase, startEmbeddedPostgres, type Database, type EmbeddedPostgresHandle } from '../../cloud/index.js'
import { openClickHouse } from '../../edge-gateway/index.js'
import { DriftUp, driftReportDir } from '../drift-up.js'
import { ModelBootstrap } from '../models-bootstrap.js'
import { DRIFT_REFERENCE_FILE, type DriftReference } from '../models-bootstrap-reference.js'

let pg: EmbeddedPostgresHandle | undefined
let db: Database
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tapflow-models-bootstrap-'))
  await chmod(dir, 0o755) // as root, PostgreSQL runs as the postgres user and must reach its cluster inside
  pg = await startEmbeddedPostgres({ dir: join(dir, 'postgres'), logger: silentLogger })
  db = await openDatabase({ databaseUrl: pg.url, logger: silentLogger })
}, 120_000)

afterAll(async () => {
  await db?.close()
  await pg?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

// A tiny profile: 40 taps × 9 days at 8× the training manifest's hazards, 20 rounds.
const TINY = { taps: 40, days: 9, hazardScale: 8, iterations: 20 }

describe('the maintenance champion tapflow up trains when there is none', () => {
  it('trains in a child process, registers maintenance@champion with a drift reference, and a second start reuses it', async () => {
    const boot = await ModelBootstrap.start({ db, dataDir: dir, seed: 3, size: TINY, logger: silentLogger })
    expect(boot.status().state).toBe('training')
    expect(boot.banner()).toMatch(/training one in the background/)
    const end = await boot.settled
    expect(end, JSON.stringify(end)).toMatchObject({ state: 'ready', version: 1 })
    await boot.close()

    const registry = await ModelRegistry.open({ db, artifactsDir: join(dir, 'models') })
    const v = await registry.getVersion('maintenance@champion')
    expect(v.version).toBe(1)
    expect(v.aliases).toContain('champion')
    expect(v.artifactDir).toBe(join(dir, 'models', 'maintenance', '1'))
    expect(Object.keys(v.metrics).length).toBeGreaterThan(0)
    await registry.close()
    const ref = JSON.parse(await readFile(join(v.artifactDir, DRIFT_REFERENCE_FILE), 'utf8')) as DriftReference
    expect(ref.columns).toHaveLength(ref.featureNames.length)
    expect(ref.columns[0]!.length).toBeGreaterThan(100)

    const again = await ModelBootstrap.start({ db, dataDir: dir, seed: 3, size: TINY, logger: silentLogger })
    expect(again.status()).toEqual({ state: 'existing', version: 1 })
    expect(again.banner()).toMatch(/maintenance@1 is the champion/)
    await again.close()
  }, 600_000)

  it('checks drift after a day into reports/drift (latest.html), and a drifted dataset retrains a challenger, never promoted', async () => {
    // The training history's ClickHouse stands in for the live stack's: this process has opened no other chDB.
    const ch = openClickHouse({ path: join(dir, 'training', 'clickhouse') })
    const D = 86_400_000
    try {
      const rs = await ch.client.query({ query: 'SELECT toString(toUnixTimestamp64Milli(max(ts))) AS last FROM tapflow.health', format: 'JSONEachRow' })
      const to = Math.ceil(Number((await rs.json<{ last: string }>())[0]!.last) / D) * D
      // Live scores of the champion that sit far from its scores on its training sample: prediction drift.
      const rows = Array.from({ length: 200 }, (_, i) => ({
        ts: to - D + i * 60_000, device_id: `tap-${i % 20}`, venue_id: 'ven', account_id: 'acc', model: 'maintenance', version: 1, mode: 'cooling-failure', score: 0.99, features_hash: '1',
      }))
      await ch.client.insert({ table: 'tapflow.predictions', values: rows, format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'best_effort' } })
      const drift = new DriftUp({ db, client: ch.client, dataDir: dir, clock: { now: () => to }, logger: silentLogger })
      const first = await drift.check(to)
      expect(first).toMatchObject({ at: to, champion: 'maintenance@1', predictionDrift: ['cooling-failure'] })
      expect(JSON.parse(await readFile(first!.json, 'utf8')).columns.map((c: { column: string }) => c.column)).toContain('prediction:cooling-failure')
      expect(first!.columns).toBeGreaterThan(5)
      expect(existsSync(join(driftReportDir(dir), 'latest.html'))).toBe(true)
      expect(JSON.parse(await readFile(join(driftReportDir(dir), 'latest.json'), 'utf8'))).toMatchObject({ datasetDrift: first!.datasetDrift, drifted: first!.drifted })
      expect(first!.datasetDrift || drift.retraining === undefined).toBe(true)
      await drift.retraining?.catch(() => undefined)

      // Every reference value moved far off: every column drifts, and a challenger is trained on the recent data.
      const file = join(dir, 'models', 'maintenance', '1', DRIFT_REFERENCE_FILE)
      const ref = JSON.parse(await readFile(file, 'utf8')) as DriftReference
      ref.columns = ref.columns.map((col) => col.map((v, i) => (v === null ? null : v * 3 + 1000 + (i % 7))))
      await writeFile(file, JSON.stringify(ref))
      const second = await drift.check(to)
      expect(second).toMatchObject({ datasetDrift: true })
      expect(second!.challenger).toMatch(/^training on \d+ rows/)
      const trained = await drift.retraining!
      expect(trained.aliases).toEqual(['challenger'])
      await drift.close()
      // Once registered, the challenger is scored against the champion on the check's window, into latest.json.
      expect(drift.status()?.comparison).toMatchObject({ champion: { version: 1 }, challenger: { version: trained.version } })
      expect(JSON.parse(await readFile(join(driftReportDir(dir), 'latest.json'), 'utf8')).comparison).toEqual(drift.status()?.comparison)
      const registry = await ModelRegistry.open({ db, artifactsDir: join(dir, 'models') })
      expect((await registry.getVersion('maintenance@champion')).version).toBe(1)
      expect((await registry.getVersion('maintenance@challenger')).version).toBe(trained.version)
      expect(existsSync(join(dir, 'models', 'maintenance', String(trained.version), DRIFT_REFERENCE_FILE))).toBe(true)
      await registry.close()
    } finally {
      await ch.client.close()
    }
  }, 600_000)
})
