import type { Database } from '../db/database.js'
import type { AttemptRecord } from './dag.js'

export type RunKind = 'daily' | 'backfill'

/** Run history in PostgreSQL: one scheduler_runs row per day run, one scheduler_task_runs row per attempt. */
export class RunHistory {
  constructor(private readonly db: Database) {}

  async start(day: string, kind: RunKind, at: number): Promise<number> {
    const r = await this.db.query<{ run_id: number }>(`INSERT INTO scheduler_runs (sim_day, kind, status, started_at)
      VALUES ($1, $2, 'running', $3) RETURNING run_id`, [day, kind, new Date(at).toISOString()])
    const id = r.rows[0]?.run_id
    if (id === undefined) throw new Error('scheduler_runs insert returned no id')
    return id
  }

  async attempt(runId: number, a: AttemptRecord): Promise<void> {
    await this.db.query(`INSERT INTO scheduler_task_runs (run_id, task, status, attempt, started_at, duration_ms, error)
      VALUES ($1, $2, $3, $4, $5, $6, $7)`, [runId, a.task, a.status, a.attempt, new Date(a.startedAt).toISOString(), a.durationMs, a.error])
  }

  async finish(runId: number, ok: boolean, at: number): Promise<void> {
    await this.db.query(`UPDATE scheduler_runs SET status = $2, finished_at = $3 WHERE run_id = $1`, [runId, ok ? 'succeeded' : 'failed', new Date(at).toISOString()])
  }

  /** Simulated days whose latest run did not succeed, with the tasks that did succeed for them. */
  async incomplete(): Promise<Array<{ day: string; done: Set<string> }>> {
    const days = await this.db.query<{ sim_day: string }>(`SELECT sim_day FROM (
        SELECT DISTINCT ON (sim_day) sim_day, status FROM scheduler_runs WHERE kind = 'daily' ORDER BY sim_day, run_id DESC) x
      WHERE status <> 'succeeded' ORDER BY sim_day`)
    const out: Array<{ day: string; done: Set<string> }> = []
    for (const { sim_day } of days.rows) {
      const done = await this.db.query<{ task: string }>(`SELECT DISTINCT t.task FROM scheduler_task_runs t JOIN scheduler_runs r USING (run_id)
        WHERE r.sim_day = $1 AND t.status = 'succeeded'`, [sim_day])
      out.push({ day: sim_day, done: new Set(done.rows.map((r) => r.task)) })
    }
    return out
  }
}
