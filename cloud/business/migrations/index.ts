import type { Logger } from '../../../common/index.js'
import type { Database } from '../db/database.js'
import { sql as m001 } from './001_business_schema.js'
import { sql as m002 } from './002_pipelines_quality_scheduler.js'
import { sql as m003 } from './003_one_company.js'
import { sql as m004 } from './004_backfill_pending.js'

export interface Migration {
  version: number
  name: string
  sql: string
}

/** Ordered, append-only. Never edit a released migration; add a new one. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'business_schema', sql: m001 },
  { version: 2, name: 'pipelines_quality_scheduler', sql: m002 },
  { version: 3, name: 'one_company', sql: m003 },
  { version: 4, name: 'backfill_pending', sql: m004 },
]

// Arbitrary constant: serialises concurrent migrators on the same database.
const LOCK_KEY = 727_001

/** Apply pending migrations in one transaction, under an advisory lock. Returns versions applied. */
export async function migrate(db: Database, logger: Logger): Promise<number[]> {
  return db.tx(async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY])
    await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
    const done = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version))
    const applied: number[] = []
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue
      await c.query(m.sql)
      await c.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name])
      applied.push(m.version)
      logger.info({ version: m.version, name: m.name }, 'applied migration')
    }
    return applied
  })
}
