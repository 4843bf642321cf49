import type { ClickHouseClient } from '@clickhouse/client'
import { asClickHouseError } from '../sink/clickhouse.js'
import { TELEMETRY } from '../sink/tables.js'
import type { SeqTracker } from './seq-tracker.js'

/** After a restart, judge each device's next frame against the highest seq already landed. */
export async function seedSeqFromClickHouse(client: ClickHouseClient, seq: SeqTracker): Promise<void> {
  const union = Object.values(TELEMETRY).map((t) => `SELECT device_id, seq FROM ${t.name}`).join(' UNION ALL ')
  try {
    const rs = await client.query({
      query: `SELECT device_id, toString(max(seq)) FROM (${union}) GROUP BY device_id`,
      format: 'JSONCompactEachRow',
    })
    for (const [device, high] of await rs.json<[string, string]>()) seq.seed(device, Number(high))
  } catch (err) {
    throw asClickHouseError(err, 'reading the highest seq per device')
  }
}
