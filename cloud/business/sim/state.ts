import type { Queryable } from '../db/database.js'
import { resolveSimConfig, type SimConfig } from './config.js'
import type { Counters } from './context.js'

/** The simulation's persisted cursor: everything else lives in the business tables themselves. */
export interface SimState {
  seed: number
  startDate: string
  /** Last fully simulated day, or null before the first. */
  lastDay: string | null
  counters: Counters
  config: SimConfig
}

export async function loadState(c: Queryable): Promise<SimState | undefined> {
  const r = await c.query('SELECT seed, start_date, last_day, counters, config FROM sim_state WHERE id = 1')
  const row = r.rows[0]
  if (!row) return undefined
  return { seed: row.seed, startDate: row.start_date, lastDay: row.last_day, counters: row.counters, config: resolveSimConfig(row.config) }
}

export async function initState(c: Queryable, seed: number, startDate: string, config: SimConfig): Promise<SimState> {
  await c.query('INSERT INTO sim_state (id, seed, start_date, counters, config) VALUES (1, $1, $2, $3, $4)', [seed, startDate, {}, config])
  return { seed, startDate, lastDay: null, counters: {}, config }
}

export async function saveState(c: Queryable, s: SimState): Promise<void> {
  await c.query('UPDATE sim_state SET last_day = $1, counters = $2, config = $3 WHERE id = 1', [s.lastDay, s.counters, s.config])
}
