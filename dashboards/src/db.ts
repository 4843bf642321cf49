import type { ClickHouseClient } from '@clickhouse/client'
import { asClickHouseError } from '../../edge-gateway/index.js'

export type QueryParams = Record<string, string | number | readonly string[]>

/**
 * Runs one read with its values bound as ClickHouse query parameters (`{name:Type}` in the SQL):
 * nothing from a request is ever spliced into SQL text. 64-bit integers come back as JSON numbers.
 */
export async function rows<T>(client: ClickHouseClient, query: string, params: QueryParams = {}): Promise<T[]> {
  try {
    const rs = await client.query({
      query,
      format: 'JSONEachRow',
      query_params: params,
      // prefer_column_name_to_alias: `toUnixTimestamp64Milli(ts) AS ts` must not change what `WHERE ts >= …` compares.
      clickhouse_settings: { readonly: '2', output_format_json_quote_64bit_integers: 0, prefer_column_name_to_alias: 1 },
    })
    return await rs.json<T>()
  } catch (err) {
    throw asClickHouseError(err, 'dashboard query')
  }
}

/** Epoch ms → the text form a DateTime64(3, 'UTC') parameter takes. */
export function chTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
}

/** Whether a table exists (e.g. tapflow.ground_truth, which a later migration adds). */
export async function tableExists(client: ClickHouseClient, db: string, table: string): Promise<boolean> {
  const r = await rows<{ n: number }>(client, 'SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {t:String}', { db, t: table })
  return (r[0]?.n ?? 0) > 0
}
