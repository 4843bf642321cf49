import type { Queryable } from '../db/database.js'

export type PipelineName = 'profit' | 'growth' | 'engagement' | 'aggregated'

/** Record how far a pipeline's output now reaches. */
export async function markFresh(c: Queryable, pipeline: PipelineName, dataThrough: string, simDay: string): Promise<void> {
  await c.query(`INSERT INTO pipeline_freshness (pipeline, data_through, refreshed_sim_day) VALUES ($1, $2, $3)
    ON CONFLICT (pipeline) DO UPDATE SET data_through = greatest(pipeline_freshness.data_through, EXCLUDED.data_through),
      refreshed_sim_day = EXCLUDED.refreshed_sim_day`, [pipeline, dataThrough, simDay])
}
