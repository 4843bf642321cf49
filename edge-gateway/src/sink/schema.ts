import type { ClickHouseClient } from '@clickhouse/client'
import type { Logger } from '../../../common/index.js'
import { asClickHouseError } from './clickhouse.js'
import { MIGRATIONS } from './migrations/index.js'

/**
 * Versioned migrations for database `tapflow` (one file each in ./migrations). The gateway owns them and
 * applies them at start. Append only: a released migration never changes; a change is a new file.
 *
 * Telemetry tables are ReplacingMergeTree ordered by (device_id, ts, seq): a frame delivered twice
 * collapses to one row on merge, and `FINAL` hides the copy before then. Retried batches carry an
 * insert_deduplication_token, so a retry never writes twice in the first place.
 */
export { MIGRATIONS }

export interface MigrateOptions {
  log?: Logger
  /** Apply migrations up to this version only: a data directory as an older release left it (migration tests). Default: all. */
  upTo?: number
}

/** Creates the database and applies pending migrations, recording each in tapflow.schema_migrations. Returns the schema's version. */
export async function migrate(client: ClickHouseClient, o: MigrateOptions = {}): Promise<number> {
  const { log, upTo = Number.POSITIVE_INFINITY } = o
  try {
    await client.command({ query: 'CREATE DATABASE IF NOT EXISTS tapflow' })
    await client.command({
      query: `CREATE TABLE IF NOT EXISTS tapflow.schema_migrations (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
              ENGINE = MergeTree ORDER BY version`,
    })
    // Versions may land out of order (5 before 3), so apply every one not yet recorded, not just those above the max.
    const rs = await client.query({ query: 'SELECT DISTINCT version AS v FROM tapflow.schema_migrations', format: 'JSONEachRow' })
    const applied = new Set((await rs.json<{ v: number | string }>()).map((r) => Number(r.v)))
    const wanted = MIGRATIONS.filter((m) => m.version <= upTo)
    for (const m of wanted) {
      if (applied.has(m.version)) continue
      for (const statement of m.statements) await client.command({ query: statement })
      await client.insert({ table: 'tapflow.schema_migrations', values: [{ version: m.version, name: m.name }], format: 'JSONEachRow' })
      log?.info({ version: m.version, name: m.name }, 'migration applied')
    }
    return wanted[wanted.length - 1]?.version ?? 0
  } catch (err) {
    throw asClickHouseError(err, 'migrating database tapflow')
  }
}
