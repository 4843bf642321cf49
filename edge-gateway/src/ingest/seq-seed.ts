import type { ClickHouseClient } from '@clickhouse/client'
import { asClickHouseError } from '../sink/clickhouse.js'
import { TELEMETRY } from '../sink/tables.js'
import type { SeqTracker } from './seq-tracker.js'

/** The highest seq landed per device, across every telemetry table. */
export async function readHighestSeqs(client: ClickHouseClient): Promise<Map<string, number>> {
  const union = Object.values(TELEMETRY).map((t) => `SELECT device_id, seq FROM ${t.name}`).join(' UNION ALL ')
  try {
    const rs = await client.query({
      query: `SELECT device_id, toString(max(seq)) FROM (${union}) GROUP BY device_id`,
      format: 'JSONCompactEachRow',
    })
    return new Map((await rs.json<[string, string]>()).map(([device, high]) => [device, Number(high)]))
  } catch (err) {
    throw asClickHouseError(err, 'reading the highest seq per device')
  }
}

/** After a restart, judge each device's next frame against the highest seq already landed. */
export async function seedSeqFromClickHouse(client: ClickHouseClient, seq: SeqTracker): Promise<void> {
  for (const [device, high] of await readHighestSeqs(client)) seq.seed(device, high)
}
