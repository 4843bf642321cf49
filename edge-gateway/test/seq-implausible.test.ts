import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { TemperatureReading } from '../../proto/index.js'
import { Gateway, openClickHouse, type FrameSource } from '../index.js'

const source: FrameSource = { description: 'test', start: async () => undefined, close: async () => undefined, connectedDevices: () => undefined }

describe('gateway: one frame with seq 2^53 - 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapflow-seqjump-'))
  const ch = openClickHouse({ path: join(dir, 'clickhouse') })
  afterAll(async () => {
    await ch.client.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('is dead-lettered, tapflow_gateway_frames_missing stays 0, and the device goes on landing', async () => {
    const gw = new Gateway({ source, clickhouse: ch, batch: { maxDelayMs: 20 } })
    await gw.start()
    const dev = 'tap-0009-01'
    const send = (seq: number): Promise<void> =>
      new Promise((ack) => gw.handle(`tapflow/v1/ven-0009/${dev}/temp`, TemperatureReading.encode({
        device_id: dev, seq, ts_ms: Date.now() - 1000, line_id: 1, line_temp_c: 3, keg_temp_c: 3, ambient_temp_c: 20,
      }).finish(), ack))
    await Promise.all([1, 2, 3, 2 ** 53 - 1, 4, 5].map(send))
    await gw.close()
    expect((await gw.metrics.missing.get()).values[0]?.value).toBe(0)
    expect(gw.stats.gaps).toBe(0)
    const q = async (query: string): Promise<unknown[]> => (await ch.client.query({ query, format: 'JSONEachRow' })).json()
    expect(await q(`SELECT toUInt32(count()) AS n FROM tapflow.temperatures WHERE device_id = '${dev}'`)).toEqual([{ n: 5 }])
    const [dl] = (await q(`SELECT reason, detail FROM tapflow.dead_letters WHERE device_id = '${dev}'`)) as { reason: string; detail: string }[]
    expect(dl?.reason).toBe('invalid_value')
    expect(dl?.detail).toContain('9007199254740991')
    expect(await q('SELECT toUInt32(count()) AS n FROM tapflow.gaps')).toEqual([{ n: 0 }])
  })
})
