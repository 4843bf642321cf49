import { join } from 'node:path'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { QueryServer, ReadOnlySql } from '../../../edge-gateway/index.js'
import { FeatureStore, generateSyntheticTelemetry } from '../index.js'
import { openTestChdb, type Chdb } from './fixtures.js'

const D = 86_400_000
const TO = Date.UTC(2026, 5, 10)

// While the stack runs, chDB's directory is the stack's: the CLI reads through its read-only SQL port.
describe('offline reads through the read-only SQL port', () => {
  let ch: Chdb
  let sql: ReadOnlySql
  let server: QueryServer
  let remote: ClickHouseClient
  beforeAll(async () => {
    ch = await openTestChdb()
    await generateSyntheticTelemetry(ch.client, { devices: 8, from: TO - 8 * D, to: TO })
    sql = await ReadOnlySql.open({ path: join(ch.dir, 'clickhouse') })
    server = new QueryServer({ sql, port: 0 })
    await server.listen()
    remote = createClient({ url: server.url })
  })
  afterAll(async () => {
    await remote.close()
    await server.close()
    await sql.close()
    await ch.close()
  })

  it('gives the same point-in-time rows as the embedded engine, with inline entity rows', async () => {
    const features = new FeatureStore({ clickhouse: ch.client }).registry.list('device').map((f) => f.name)
    const rows = [{ entityId: 'tap-00001', ts: TO - 5_000_000 }, { entityId: 'tap-00006', ts: TO - 3 * D }]
    const local = await new FeatureStore({ clickhouse: ch.client, clock: { now: () => TO } }).getHistoricalFeatures({ entity: 'device', rows, features })
    const viaPort = await new FeatureStore({ clickhouse: remote, writable: false, clock: { now: () => TO } }).getHistoricalFeatures({ entity: 'device', rows, features })
    expect(viaPort).toStrictEqual(local)
    expect(local[0]?.values.pour_count_24h).toBeGreaterThan(0)
  })
})
