import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../common/index.js'
import { DEMAND_FEATURES, ModelRegistry, openDatabase, startEmbeddedPostgres, trainGbdt, type Database, type EmbeddedPostgresHandle } from '../../cloud/index.js'
import type { ClickHouseClient } from '../../edge-gateway/index.js'
import { demandChampion } from '../models-up.js'

let pg: EmbeddedPostgresHandle | undefined
let db: Database
let dir: string
// demandChampion only builds the forecaster; nothing here queries ClickHouse.
const client = {} as ClickHouseClient

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tapflow-models-up-'))
  await chmod(dir, 0o755) // as root, PostgreSQL runs as the postgres user and must reach its cluster inside
  pg = await startEmbeddedPostgres({ dir: join(dir, 'postgres'), logger: silentLogger })
  db = await openDatabase({ databaseUrl: pg.url, logger: silentLogger })
})

afterAll(async () => {
  await db?.close()
  await pg?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

function demandModelJson(): string {
  const rows = 200
  const cols = DEMAND_FEATURES.length
  const values = Float32Array.from({ length: rows * cols }, (_, i) => (i * 7919) % 97)
  const y = Float32Array.from({ length: rows }, (_, r) => values[r * cols]! * 0.5)
  const model = trainGbdt({ rows, cols, values }, y, { objective: 'regression', iterations: 5, minSamplesLeaf: 5 })
  return JSON.stringify({ schema: 'tapflow.model/1', name: 'demand', kind: 'demand', featureNames: DEMAND_FEATURES, targets: { litres_24h: { gbdt: model.toJSON() } } })
}

describe('the demand champion in tapflow up', () => {
  it('is absent until one is registered, then loads, and a tampered artifact is refused', async () => {
    const o = { db, client, dataDir: dir, logger: silentLogger }
    expect(await demandChampion(o)).toBeUndefined()
    const reg = await ModelRegistry.open({ db, artifactsDir: join(dir, 'models') })
    const v = await reg.registerVersion({
      name: 'demand', artifacts: { 'model.json': demandModelJson() }, metrics: {}, params: {}, featureViews: [],
      window: { from: 0, to: 1, source: 'test' }, codeVersion: 'test',
    })
    expect(await demandChampion(o)).toBeUndefined() // registered, but not the champion yet
    await reg.setAlias('demand', 'champion', v.version)
    await reg.close()
    expect(typeof (await demandChampion(o))).toBe('function')
    await writeFile(join(v.artifactDir, 'model.json'), '{}')
    expect(await demandChampion(o)).toBeUndefined() // sha256 mismatch: naive forecasts, not a wrong model
  })
})
