import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EmbeddedBroker, Gateway, WriteAheadLog, type ClickHouseClient, type ClickHouseHandle } from '../../edge-gateway/index.js'
import { until, useChDB } from '../utils/index.js'
import { landed, startPublishers } from './faults-support.js'

// The scenario is "ClickHouse unavailable for 30 s mid-run"; TAPFLOW_FAULT_OUTAGE_MS shortens it for quick local runs.
const OUTAGE_MS = Number(process.env.TAPFLOW_FAULT_OUTAGE_MS ?? 30_000)

/** The real chDB client, except that every insert fails while `down` is set, as a refused connection would. */
function flaky(ch: ClickHouseHandle): { handle: ClickHouseHandle; state: { down: boolean; refused: number; inFlight: number } } {
  const state = { down: false, refused: 0, inFlight: 0 }
  const client = new Proxy(ch.client, {
    get(target, prop) {
      if ((prop === 'insert' || prop === 'exec') && state.down) {
        return async () => {
          state.refused++
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123 (simulated outage)'), { code: 'ECONNREFUSED' })
        }
      }
      const v: unknown = Reflect.get(target, prop, target)
      if (typeof v !== 'function') return v
      const f = (v as (...a: unknown[]) => unknown).bind(target)
      if (prop !== 'insert' && prop !== 'exec') return f
      // Counted, so the test can wait out an insert that started before the outage and would still land.
      return async (...a: unknown[]) => {
        state.inFlight++
        try {
          return await f(...a)
        } finally {
          state.inFlight--
        }
      }
    },
  }) as ClickHouseClient
  return { handle: { ...ch, client }, state }
}

describe('fault: ClickHouse unavailable mid-run', () => {
  const db = useChDB('fault-ch')

  it(`keeps acking into the WAL through a ${OUTAGE_MS / 1000} s outage, then lands every frame exactly once`, async () => {
    const { handle, state } = flaky(db.ch)
    const broker = new EmbeddedBroker({ port: 0 })
    await broker.listen()
    const wal = WriteAheadLog.open({ dir: join(db.dir, 'wal'), fsync: 'always' })
    const gateway = new Gateway({ source: broker, clickhouse: handle, wal, batch: { maxDelayMs: 100, retryBaseMs: 100 } })
    await gateway.start()
    const devices = 40
    const frames = 400
    const window = 2
    const pubs = startPublishers({ url: broker.url, devices, frames, window, paceMs: Math.ceil((OUTAGE_MS * 2) / frames) })
    try {
      await until(() => gateway.stats.rowsInserted > 500, 'first inserts', 60_000)
      state.down = true
      // An insert already under way when the outage began still lands; count acks from when none is left.
      await until(() => state.inFlight === 0, 'inserts begun before the outage to finish', 30_000)
      const ackedAtOutage = pubs.acked()
      const insertedAtOutage = gateway.stats.rowsInserted
      await new Promise((r) => setTimeout(r, OUTAGE_MS))
      // Devices were not stalled: their frames were acknowledged from the WAL while ClickHouse was away.
      const ackedDuringOutage = pubs.acked() - ackedAtOutage
      expect(ackedDuringOutage).toBeGreaterThan(devices * 10)
      expect(state.refused).toBeGreaterThan(0)
      expect(gateway.stats.rowsInserted, 'nothing lands while ClickHouse is away').toBe(insertedAtOutage)
      // The WAL holds every frame acknowledged in the outage, except those whose PUBACK was still on its way when the
      // count was taken (at most `window` per device): such a frame may have been inserted just before the outage.
      expect(wal.depth).toBeGreaterThanOrEqual(ackedDuringOutage - devices * window)
      state.down = false
      await pubs.done
      await until(() => wal.depth === 0, 'the WAL to drain into ClickHouse', 60_000)
    } finally {
      // If an assertion above failed mid-outage, end the outage so that close() can flush and the real failure shows.
      state.down = false
      await pubs.close()
      await gateway.close()
      await broker.close()
      await wal.close()
    }
    expect(pubs.acked()).toBe(devices * frames)
    expect(gateway.stats).toMatchObject({ deadLettered: 0, gaps: 0, accepted: devices * frames })
    const counts = await landed(db.ch.client)
    expect(counts.size).toBe(devices)
    for (const id of pubs.deviceIds) expect(counts.get(id), id).toEqual({ n: frames, u: frames, hi: frames })
  })
})
