import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DashboardServer, seedHistory, type DemandForecast } from '../index.js'
import { kegForecasts, modelForecasts, reorders, type KegRow } from '../src/demand.js'
import { applyRetention, migrate, openClickHouse, type ClickHouseHandle } from '../../edge-gateway/index.js'
import { buildFleet, type FleetSpec } from '../../firmware-sim/index.js'

const DAY = 86_400_000
const TO = Date.UTC(2026, 10, 20)
// A 50 l keg with 10 l left; 70 l poured over the last full week: 10 l a day at the naive pace.
const keg = (deviceId: string, beverage: string, over: Partial<KegRow> = {}): KegRow => ({
  deviceId, lineId: 1, beverage, kegSizeMl: 50_000, remainingMl: 10_000, poured: 1, weekMl: 70_000, sinceMs: TO - 7 * DAY, ...over,
})

describe('keg forecasts and reorders (pure)', () => {
  it('falls back to the naive pace, labelled naive, where the model has no forecast', () => {
    const [a, b] = kegForecasts([keg('t1', 'IPA'), keg('t2', 'IPA')], TO, new Map([['t2', { litres24h: 2, model: 'demand@4' }]]))
    expect(a).toMatchObject({ litres24h: 10, forecast: 'naive', daysLeft: 1, litresPerDay: 10, reorder: true })
    expect(b).toMatchObject({ litres24h: 2, forecast: 'demand@4', daysLeft: 5, litresPerDay: 10, reorder: false })
  })

  it('a model forecast that is not a number is ignored, not shown', () => {
    const [k] = kegForecasts([keg('t1', 'IPA')], TO, new Map([['t1', { litres24h: NaN, model: 'demand@4' }]]))
    expect(k?.forecast).toBe('naive')
  })

  it('orders, per beverage, the kegs the forecast drinks beyond what is left over the next 3 days', () => {
    const kegs = kegForecasts(
      [keg('t1', 'IPA'), keg('t2', 'IPA', { remainingMl: 45_000 }), keg('t3', 'Lager', { remainingMl: 5_000 }), keg('t4', 'Stout', { remainingMl: 49_000 })],
      TO,
      new Map([['t2', { litres24h: 40, model: 'demand@4' }], ['t3', { litres24h: 1, model: 'demand@4' }], ['t4', { litres24h: 1, model: 'demand@4' }]]),
    )
    // t1: 30 l needed, 10 left → 1 keg (naive). t2: 120 l needed, 45 left → 2 kegs (model). t3: 3 l needed, 5 left,
    // but under 15 % full → 1 keg. t4: plenty.
    expect(reorders(kegs)).toEqual([
      { beverage: 'IPA', kegs: 3, kegSizeL: 50, basis: 'demand@4 + naive' },
      { beverage: 'Lager', kegs: 1, kegSizeL: 50, basis: 'demand@4' },
    ])
  })

  it('asks no model when there is none, and survives one that fails', async () => {
    const errors: unknown[] = []
    expect((await modelForecasts(undefined, ['t1'], (e) => errors.push(e))).size).toBe(0)
    const failing: DemandForecast = () => Promise.reject(new Error('registry down'))
    expect((await modelForecasts(failing, ['t1'], (e) => errors.push(e))).size).toBe(0)
    expect(errors).toHaveLength(1)
  })
})

describe('venue view with and without a demand model (chDB)', () => {
  let dir: string
  let ch: ClickHouseHandle
  let server: DashboardServer
  let fleet: FleetSpec
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tapflow-demand-web-'))
    ch = openClickHouse({ path: join(dir, 'clickhouse') })
    await migrate(ch.client)
    await applyRetention(ch.client, { rawDays: 0, rollupDays: 0, deadLetterDays: 0 })
    fleet = buildFleet({ devices: 8, seed: 3 })
    await seedHistory({ clickhouse: ch, fleet, from: TO - DAY, to: TO })
    server = new DashboardServer({ client: ch.client, port: 0 })
    await server.listen()
  })
  afterAll(async () => {
    await server?.close()
    await ch?.client.close()
    rmSync(dir, { recursive: true, force: true })
  })

  interface VenueBody {
    kegs: { deviceId: string; forecast: string; litres24h: number; daysLeft: number | null; remainingL: number | null }[]
    demand: { models: string[]; naive: boolean }
    reorders: unknown[]
  }
  const get = async (venueId: string): Promise<VenueBody> => {
    const res = await fetch(`${server.url}/api/venue?id=${venueId}&to=${TO}`)
    expect(res.status).toBe(200)
    return (await res.json()) as VenueBody
  }

  it('labels every keg naive without a model, uses the model where it answers, and falls back when it fails', async () => {
    const venueId = fleet.venues[0]!.venueId
    const naive = await get(venueId)
    expect(naive.kegs.length).toBeGreaterThan(0)
    expect(naive.kegs.every((k) => k.forecast === 'naive')).toBe(true)
    expect(naive.demand).toMatchObject({ models: ['naive'], naive: true })
    expect(Array.isArray(naive.reorders)).toBe(true)

    const first = naive.kegs[0]!.deviceId
    const asked: string[][] = []
    server.setDemandForecast((ids) => {
      asked.push(ids)
      return Promise.resolve(new Map([[first, { litres24h: 12.5, model: 'demand@2' }]]))
    })
    const modelled = await get(venueId)
    expect(asked[0]?.sort()).toEqual(naive.kegs.map((k) => k.deviceId).sort())
    const k = modelled.kegs.find((x) => x.deviceId === first)!
    expect(k).toMatchObject({ forecast: 'demand@2', litres24h: 12.5 })
    if (k.remainingL !== null) expect(k.daysLeft).toBeCloseTo(k.remainingL / 12.5, 1)
    expect(modelled.kegs.filter((x) => x.deviceId !== first).every((x) => x.forecast === 'naive')).toBe(true)
    expect(modelled.demand.models).toEqual(naive.kegs.length > 1 ? ['demand@2', 'naive'] : ['demand@2'])

    server.setDemandForecast(() => Promise.reject(new Error('model store unreachable')))
    const failed = await get(venueId)
    expect(failed.kegs.every((x) => x.forecast === 'naive')).toBe(true)
  })
})
