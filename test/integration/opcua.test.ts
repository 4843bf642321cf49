import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChillerBridge, Gateway, SESSION_GAP_METRIC, WriteAheadLog, openClickHouse, type ClickHouseHandle, type FrameSource } from '../../edge-gateway/index.js'
import { CHILLER_ALARMS, ChillerServer } from '../../firmware-sim/index.js'
import { freePort } from '../peers/index.js'
import { waitFor } from './faults-support.js'

const noSource: FrameSource = { description: 'none', start: async () => undefined, close: async () => undefined, connectedDevices: () => undefined }

describe('OPC-UA chillers → bridge → WAL → tapflow.chiller', () => {
  let dir: string
  let ch: ClickHouseHandle
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tapflow-opcua-'))
    ch = openClickHouse({ path: join(dir, 'clickhouse') })
  })
  afterAll(async () => {
    await ch.client.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('streams monitored items, follows a cooling failure, and records a session gap across a server restart', async () => {
    const port = await freePort()
    let server = new ChillerServer({ venueId: 'ven-0001', port, tickMs: 100 })
    await server.start()
    const wal = WriteAheadLog.open({ dir: join(dir, 'wal') })
    const gateway = new Gateway({ source: noSource, clickhouse: ch, wal, batch: { maxDelayMs: 100 } })
    await gateway.start()
    const bridge = new ChillerBridge({
      chillers: [{ endpointUrl: server.endpointUrl, venueId: 'ven-0001', chillerId: server.chillerId }],
      store: (t, r, a) => gateway.store(t, r, a),
      samplingMs: 100,
    })
    const q = async <T>(query: string): Promise<T[]> => {
      await gateway.flush()
      return (await ch.client.query({ query, format: 'JSONEachRow' })).json<T>()
    }
    try {
      await bridge.start()
      await waitFor(() => bridge.stats.changes > 20, 30_000, 'monitored-item changes')
      server.setCoolingFailure(true)
      await waitFor(async () => {
        const [a] = await q<{ a: number | null }>(`SELECT max(value) AS a FROM tapflow.chiller WHERE metric = 'alarms'`)
        return Number(a?.a ?? 0) === CHILLER_ALARMS.highSupplyTemp + CHILLER_ALARMS.compressorFault + CHILLER_ALARMS.lowPressure
      }, 30_000, 'all three alarms after the cooling failure')
      // Lose the session: stop the server, start a fresh one on the same port.
      await server.close()
      await new Promise((r) => setTimeout(r, 1_500))
      server = new ChillerServer({ venueId: 'ven-0001', port, tickMs: 100 })
      await server.start()
      await waitFor(async () => (await q<{ n: string }>(`SELECT count() AS n FROM tapflow.chiller WHERE metric = '${SESSION_GAP_METRIC}'`))[0]?.n !== '0', 60_000, 'the session gap row')
      const before = bridge.stats.changes
      await waitFor(() => bridge.stats.changes > before + 10, 60_000, 'changes after the reconnect')
    } finally {
      await bridge.close()
      await server.close()
      await gateway.close()
      await wal.close()
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
