import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ChillerBridge, Gateway, SESSION_GAP_METRIC, WriteAheadLog, type FrameSource } from '../../edge-gateway/index.js'
import { CHILLER_ALARMS, ChillerServer } from '../../firmware-sim/index.js'
import { freePort, until, useChDB } from '../utils/index.js'

const noSource: FrameSource = { description: 'none', start: async () => undefined, close: async () => undefined, connectedDevices: () => undefined }

describe('OPC-UA chillers → bridge → WAL → tapflow.chiller', () => {
  const db = useChDB('opcua')

  it('streams monitored items, follows a cooling failure, and records a session gap across a server restart', async () => {
    const port = await freePort()
    let server = new ChillerServer({ venueId: 'ven-0001', port, tickMs: 100 })
    await server.start()
    const wal = WriteAheadLog.open({ dir: join(db.dir, 'wal') })
    const gateway = new Gateway({ source: noSource, clickhouse: db.ch, wal, batch: { maxDelayMs: 100 } })
    await gateway.start()
    const bridge = new ChillerBridge({
      chillers: [{ endpointUrl: server.endpointUrl, venueId: 'ven-0001', chillerId: server.chillerId }],
      store: (t, r, a) => gateway.store(t, r, a),
      samplingMs: 100,
    })
    const q = async <T>(query: string): Promise<T[]> => {
      await gateway.flush()
      return (await db.ch.client.query({ query, format: 'JSONEachRow' })).json<T>()
    }
    try {
      await bridge.start()
      await until(() => bridge.stats.changes > 20, 'monitored-item changes', 30_000)
      server.setCoolingFailure(true)
      await until(async () => {
        const [a] = await q<{ a: number | null }>(`SELECT max(value) AS a FROM tapflow.chiller WHERE metric = 'alarms'`)
        return Number(a?.a ?? 0) === CHILLER_ALARMS.highSupplyTemp + CHILLER_ALARMS.compressorFault + CHILLER_ALARMS.lowPressure
      }, 'all three alarms after the cooling failure', 30_000)
      // Lose the session: stop the server, start a fresh one on the same port.
      await server.close()
      await new Promise((r) => setTimeout(r, 1_500))
      server = new ChillerServer({ venueId: 'ven-0001', port, tickMs: 100 })
      await server.start()
      await until(async () => (await q<{ n: string }>(`SELECT count() AS n FROM tapflow.chiller WHERE metric = '${SESSION_GAP_METRIC}'`))[0]?.n !== '0', 'the session gap row', 60_000)
      const before = bridge.stats.changes
      await until(() => bridge.stats.changes > before + 10, 'changes after the reconnect', 60_000)
    } finally {
      // Newest first: the bridge stores through the gateway, which appends to the WAL.
      for (const r of [bridge, server, gateway, wal]) await r.close()
    }
    expect(bridge.stats.sessionsLost).toBeGreaterThan(0)
    const metrics = await q<{ metric: string }>('SELECT DISTINCT metric FROM tapflow.chiller ORDER BY metric')
    expect(metrics.map((m) => m.metric)).toEqual(['alarms', 'compressor_current_a', 'pressure_bar', 'return_temp_c', SESSION_GAP_METRIC, 'supply_temp_c'])
    const [gap] = await q<{ value: number }>(`SELECT value FROM tapflow.chiller WHERE metric = '${SESSION_GAP_METRIC}' LIMIT 1`)
    expect(Number(gap!.value)).toBeGreaterThanOrEqual(1_000)
    const [hot] = await q<{ t: number }>(`SELECT max(value) AS t FROM tapflow.chiller WHERE metric = 'supply_temp_c'`)
    expect(Number(hot!.t)).toBeGreaterThan(4)
    // Everything went through the WAL and was released once inserted.
    expect(wal.depth).toBe(0)
  })
})
