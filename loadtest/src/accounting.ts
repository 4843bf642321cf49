import type { ClickHouseClient } from '../../edge-gateway/index.js'

export interface Accounting {
  /** Frames the devices handed to MQTT. */
  published: number
  /** Distinct (device_id, seq) in ClickHouse. */
  landed: number
  /** Seqs a device used that never landed and were not dead-lettered: seq gaps. */
  lost: number
  /** Extra copies: rows beyond one per (device_id, seq), plus frames the gateway dropped as duplicates. */
  duplicates: number
  deadLettered: number
  /** published = landed + lost + dead-lettered. */
  identityHolds: boolean
  /** Devices with at least one lost frame. */
  devicesWithGaps: number
}

/**
 * Counts every frame from both ends: what each device says it sent (its last seq) against what
 * ClickHouse holds, so a frame dropped anywhere on the path shows up as a gap, never as nothing.
 */
export async function account(
  client: ClickHouseClient,
  lastSeq: Record<string, number>,
  published: number,
  gatewayDuplicates: number,
): Promise<Accounting> {
  const rs = await client.query({
    query: `SELECT device_id, uniqExact(seq) AS landed, count() AS rows, max(seq) AS hi FROM (
              SELECT device_id, seq FROM tapflow.pours UNION ALL
              SELECT device_id, seq FROM tapflow.temperatures UNION ALL
              SELECT device_id, seq FROM tapflow.health) GROUP BY device_id`,
    format: 'JSONEachRow',
  })
  const rows = await rs.json<{ device_id: string; landed: string; rows: string; hi: string }>()
  const dl = await client.query({ query: 'SELECT device_id, count() AS n FROM tapflow.dead_letters GROUP BY device_id', format: 'JSONEachRow' })
  const dead = new Map((await dl.json<{ device_id: string; n: string }>()).map((r) => [r.device_id, Number(r.n)]))
  const byDevice = new Map(rows.map((r) => [r.device_id, r]))
  let landed = 0
  let lost = 0
  let copies = 0
  let devicesWithGaps = 0
  for (const [device, seq] of Object.entries(lastSeq)) {
    const r = byDevice.get(device)
    const l = Number(r?.landed ?? 0)
    const missing = Math.max(0, seq - l - (dead.get(device) ?? 0))
    landed += l
    copies += Number(r?.rows ?? 0) - l
    lost += missing
    if (missing > 0) devicesWithGaps++
  }
  const deadLettered = [...dead.values()].reduce((a, b) => a + b, 0)
  return {
    published,
    landed,
    lost,
    duplicates: copies + gatewayDuplicates,
    deadLettered,
    identityHolds: published === landed + lost + deadLettered,
    devicesWithGaps,
  }
}
