import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../common/index.js'
import { FeatureClient, generateSyntheticTelemetry } from '../../cloud/index.js'
import { FleetAuthority, applyRetention, migrate, openClickHouse, type ClickHouseClient } from '../../edge-gateway/index.js'
import { startFeatures, type FeaturesUp } from '../features-up.js'
import type { GatewayStack } from '../stack.js'

const D = 86_400_000
const TO = Date.UTC(2026, 5, 10)

/** The feature store as `tapflow up` runs it: a simulated clock, a schedule, the day hook and FeatureService. */
describe('features in tapflow up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapflow-features-up-'))
  const authority = new FleetAuthority(randomBytes(32))
  let client: ClickHouseClient
  let up: FeaturesUp
  let flushes = 0
  const sim = { t: TO - D, now: (): number => sim.t }

  beforeAll(async () => {
    client = openClickHouse({ path: join(dir, 'clickhouse') }).client
    await migrate(client)
    await applyRetention(client, { rawDays: 0, rollupDays: 0, deadLetterDays: 0 })
    await generateSyntheticTelemetry(client, { devices: 8, from: TO - 3 * D, to: TO })
    const stack = { clickhouse: { client }, authority, gateway: { flush: () => { flushes++; return Promise.resolve() } } } as unknown as GatewayStack
    up = await startFeatures({ stack, clock: sim, dataDir: dir, everyMs: 3_600_000, minGapRealMs: 0, host: '127.0.0.1', port: 0, logger: silentLogger })
  })
  afterAll(async () => {
    await up.close()
    await client.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('materializes on the simulated schedule, flushing the gateway first, and reports each view\'s lag', async () => {
    await expect.poll(() => up.source.views().find((v) => v.name === 'device_pours')?.materializedAt, { timeout: 30_000 }).toBe(TO - D)
    expect(flushes).toBeGreaterThan(0)
    const pours = up.source.views().find((v) => v.name === 'device_pours')
    expect(pours).toMatchObject({ entity: 'device', entities: 8 })
    expect(pours?.newestEvent).toBeLessThanOrEqual(TO - D)
    // Customer features from the business are skipped without one, and say so.
    expect(up.source.views().find((v) => v.name === 'customer_billing')).toMatchObject({ materializedAt: null, skipped: expect.stringMatching(/business/) })
    // Half an hour of simulated time later: not due yet (every hour), and the lag grows with the simulated clock.
    sim.t += 1_800_000
    expect(up.source.views().find((v) => v.name === 'device_pours')?.materializedAt).toBe(TO - D)
    sim.t += 1_800_000
    await expect.poll(() => up.source.views().find((v) => v.name === 'device_pours')?.materializedAt, { timeout: 30_000 }).toBe(TO - D + 3_600_000)
  })

  it('materializes at least every maxGapRealMs of real time, however slowly simulated time runs', async () => {
    let runs = 0
    const stack = { clickhouse: { client }, authority, gateway: { flush: () => { runs++; return Promise.resolve() } } } as unknown as GatewayStack
    const frozen = { now: (): number => TO - D } // --speed 1 feels like this: an hour takes an hour
    const slow = await startFeatures({ stack, clock: frozen, dataDir: join(dir, 'slow'), everyMs: 3_600_000, minGapRealMs: 0, maxGapRealMs: 300, host: '127.0.0.1', port: 0, logger: silentLogger })
    try {
      await expect.poll(() => runs, { timeout: 30_000 }).toBeGreaterThanOrEqual(3)
    } finally {
      await slow.close()
    }
  })

  it('materializes when told (the closed business day), and serves values fresh against the simulated clock over gRPC', async () => {
    sim.t = TO
    await up.materialize('business day closed')
    expect(up.source.views().find((v) => v.name === 'device_health')?.materializedAt).toBe(TO)
    const rpc = new FeatureClient({ address: up.url, credentials: authority.control('test.features') })
    try {
      const res = await rpc.getOnlineFeatures({ entity: 'device', ids: ['tap-00003'], features: ['pour_count_24h', 'rssi_dbm'] })
      expect(res.servedAt).toBe(TO)
      expect(res.rows[0]?.features.rssi_dbm?.status).toBe('fresh') // wall time is months later: it would be stale
      expect(res.rows[0]?.features.pour_count_24h?.value).toBeGreaterThan(0)
    } finally {
      rpc.close()
    }
    const current = await up.source.current('device', 'tap-00003')
    expect(current.find((f) => f.name === 'rssi_dbm')).toMatchObject({ view: 'device_health', status: 'fresh', type: 'float64' })
  })
})
