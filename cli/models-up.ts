import { join } from 'node:path'
import { errorMessage, type Logger } from '../common/index.js'
import { GbdtModel, ModelNotFoundError, ModelRegistry, demandForecaster, type Database, type GbdtJson } from '../cloud/index.js'
import type { DemandForecast } from '../dashboards/index.js'
import type { ClickHouseClient } from '../edge-gateway/index.js'

export interface DemandChampionOptions {
  /** The business database, which holds the registry (schema mlops). */
  db: Database
  client: ClickHouseClient
  dataDir: string
  logger: Logger
}

/** What model.json records for the demand model's one target (cloud/models/train.ts). */
interface DemandManifest {
  targets: Record<string, { gbdt: GbdtJson } | undefined>
}

/**
 * The demand model the venue view forecasts with: the registry's `demand@champion`, its model.json verified by
 * sha256. Undefined when none is registered (the venue view then says "naive"). Called again after each simulated
 * day, so `tapflow models promote demand@N` takes effect at the next midnight.
 */
export async function demandChampion(o: DemandChampionOptions): Promise<DemandForecast | undefined> {
  const registry = await ModelRegistry.open({ db: o.db, artifactsDir: join(o.dataDir, 'models') })
  try {
    const v = await registry.getVersion('demand@champion')
    const manifest = JSON.parse(Buffer.from(await registry.loadArtifact(`${v.name}@${v.version}`, 'model.json')).toString('utf8')) as DemandManifest
    const target = Object.values(manifest.targets)[0]
    if (target === undefined) return undefined
    return demandForecaster({ client: o.client, predictor: GbdtModel.fromJSON(target.gbdt), model: `demand@${v.version}` })
  } catch (err) {
    if (!(err instanceof ModelNotFoundError)) o.logger.warn({ err: errorMessage(err) }, 'demand champion not loaded; the venue view forecasts naively')
    return undefined
  } finally {
    await registry.close()
  }
}
