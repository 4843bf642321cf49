import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '../../../common/index.js'
import { openDatabase, type Database } from '../../index.js'
import { startTestServer, type TestServer } from '../../test/pg-server.js'
import { GbdtModel, ModelRegistry, syntheticMaintenance, trainModel, type GbdtJson } from '../../models/index.js'

/** Real device feature names (three views), so online reads go through the feature store's registry. */
export const FEATURES = ['line_temp_slope_24h', 'flow_rate_drift_24h', 'pour_count_1h', 'rssi_dbm']

/** A small labelled maintenance history whose columns carry real feature names; modes 'cooling' and 'seal_leak'. */
export function dataset(seed = 1): ReturnType<typeof syntheticMaintenance> {
  return { ...syntheticMaintenance({ devices: 12, days: 10, seed }), featureNames: [...FEATURES] }
}

export interface RegistryFixture {
  /** The registry database's postgres:// URL. */
  url: string
  db: Database
  registry: ModelRegistry
  dir: string
  /** Trains a new version (challenger, and champion when it is the first); returns its number. */
  train(seed?: number): Promise<number>
  /** The in-process GBDT of a version's mode, from its model.json. */
  gbdt(version: number, mode: string): Promise<GbdtModel>
  close(): Promise<void>
}

/** Embedded PostgreSQL with a model registry; undefined when PostgreSQL cannot start outside CI. */
export async function registryFixture(name: string): Promise<RegistryFixture | undefined> {
  const server: TestServer | undefined = await startTestServer()
  if (server === undefined) return undefined
  const url = await server.createDatabase(name)
  const db = await openDatabase({ databaseUrl: url, logger: silentLogger })
  const dir = mkdtempSync(join(tmpdir(), `tapflow-${name}-`))
  const registry = await ModelRegistry.open({ db, artifactsDir: dir })
  return {
    url, db, registry, dir,
    async train(seed = 1) {
      const r = await trainModel({ kind: 'maintenance', dataset: dataset(seed), registry, params: { iterations: 25, earlyStoppingRounds: 5, minSamplesLeaf: 10 }, codeVersion: 'git:test' })
      return r.version.version
    },
    async gbdt(version, mode) {
      const m = JSON.parse(Buffer.from(await registry.loadArtifact(`maintenance@${version}`, 'model.json')).toString()) as { targets: Record<string, { gbdt: GbdtJson }> }
      return GbdtModel.fromJSON(m.targets[mode]!.gbdt)
    },
    async close() {
      await registry.close()
      await db.close()
      await server.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
