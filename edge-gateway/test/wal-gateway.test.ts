import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { useChDB } from '../../test/utils/index.js'
import { TemperatureReading } from '../../proto/index.js'
import { GAPS, Gateway, TEMPERATURES, WriteAheadLog, encodeRecordV1, type FrameSource } from '../index.js'

const source: FrameSource = { description: 'test', start: async () => undefined, close: async () => undefined, connectedDevices: () => undefined }
const topic = (dev: string): string => `tapflow/v1/ven-0001/${dev}/temp`
const frame = (dev: string, seq: number): Buffer =>
  Buffer.from(TemperatureReading.encode({ device_id: dev, seq, ts_ms: Date.now() - 1000, line_id: 1, line_temp_c: 3, keg_temp_c: 3, ambient_temp_c: 20 }).finish())

describe('gateway with a WAL', () => {
  const db = useChDB('walgw-')
  const q = async <T>(query: string): Promise<T[]> => (await db.ch.client.query({ query, format: 'JSONEachRow' })).json<T>()

  it('records a gap in tapflow.gaps and closes it when the late frames arrive', async () => {
    const wal = WriteAheadLog.open({ dir: join(db.dir, 'wal-gaps') })
    const gw = new Gateway({ source, clickhouse: db.ch, wal, batch: { maxDelayMs: 20 } })
    await gw.start()
    const dev = 'tap-0001-01'
    for (const seq of [1, 2, 6]) gw.handle(topic(dev), frame(dev, seq), () => undefined)
    await wal.sync()
    await gw.flush()
    expect(await q(`SELECT toUInt32(from_seq) AS f, toUInt32(to_seq) AS t, toUInt32(missing) AS m, state FROM tapflow.gaps_current WHERE device_id = '${dev}'`)).toEqual([{ f: 3, t: 5, m: 3, state: 'open' }])
    for (const seq of [4, 3, 5]) gw.handle(topic(dev), frame(dev, seq), () => undefined)
    await wal.sync()
    await gw.close()
    await wal.close()
    const [g] = await q<{ m: number; state: string; closed_at: string | null }>(`SELECT toUInt32(missing) AS m, state, closed_at FROM tapflow.gaps_current WHERE device_id = '${dev}'`)
    expect(g).toMatchObject({ m: 0, state: 'closed' })
    expect(g!.closed_at).not.toBeNull()
    expect((await gw.metrics.gapsClosed.get()).values[0]?.value).toBe(1)
    const [n] = await q<{ n: string }>(`SELECT count() AS n FROM tapflow.temperatures WHERE device_id = '${dev}'`)
    expect(Number(n!.n)).toBe(6)
  })

  it('replays after a crash without writing rows that were already inserted', async () => {
    const walDir = join(db.dir, 'wal-replay')
    const dev = 'tap-0002-01'
    // First life: 100 frames made durable; the first 60 inserted, then the process "dies" before the rest.
    const first = WriteAheadLog.open({ dir: walDir })
    let insertedRows = 0
    const gw1 = new Gateway({
      source, clickhouse: db.ch, wal: first, batch: { maxDelayMs: 60_000, maxRows: 60 },
      onInserted: (table, rows) => {
        if (table === 'tapflow.temperatures') insertedRows += rows.length
      },
    })
    await gw1.start()
    let acked = 0
    for (let seq = 1; seq <= 100; seq++) gw1.handle(topic(dev), frame(dev, seq), () => acked++)
    await first.sync()
    expect(acked).toBe(100)
    await vi.waitFor(() => expect(insertedRows).toBe(60)) // the 60-row batch is inserted; 40 rows wait in memory
    const [before] = await q<{ n: string }>(`SELECT count() AS n FROM tapflow.temperatures WHERE device_id = '${dev}'`)
    expect(Number(before!.n)).toBe(60)
    // Crash: no close, no flush. The segment still holds all 100 records (it is not sealed).
    const second = WriteAheadLog.open({ dir: walDir })
    expect(second.recovered.filter((r) => r.table === 'tapflow.temperatures')).toHaveLength(100)
    const gw2 = new Gateway({ source, clickhouse: db.ch, wal: second, batch: { maxDelayMs: 20 } })
    await gw2.start()
    // Late redelivery of an already-landed frame is a duplicate, judged against the seq seeded from ClickHouse.
    gw2.handle(topic(dev), frame(dev, 100), () => undefined)
    await gw2.close()
    expect(gw2.stats.duplicates).toBe(1)
    expect(second.depth).toBe(0)
    await second.close()
    const [after] = await q<{ n: string; u: string }>(`SELECT count() AS n, uniqExact(seq) AS u FROM tapflow.temperatures WHERE device_id = '${dev}'`)
    expect([Number(after!.n), Number(after!.u)]).toEqual([100, 100])
  })

  it('replays a record logged before a column was added, the new column taking its default', async () => {
    const walDir = join(db.dir, 'wal-old-row')
    const old = WriteAheadLog.open({ dir: walDir })
    // A gaps row as an older spec without its last column (updated_at) would have logged it. Detected recently:
    // gaps age from their last change, and a 1970 row would be past retention.
    const full = GAPS.toRow({ device_id: 'tap-0003-01', venue_id: 'ven-0001', from_seq: 5, to_seq: 6, missing: 2, filled: 0, state: 'open', detected_at: Date.now(), updated_at: 0 })
    await new Promise<void>((r) => old.append(GAPS.name, GAPS.lineOf(full.slice(0, -1)), r))
    await old.close()
    const wal = WriteAheadLog.open({ dir: walDir })
    const gw = new Gateway({ source, clickhouse: db.ch, wal, batch: { maxDelayMs: 20 } })
    await gw.start()
    expect(wal.depth).toBe(0)
    await gw.close()
    await wal.close()
    expect(await q(`SELECT toUInt32(from_seq) AS f, toUInt32(toUnixTimestamp64Milli(updated_at)) AS u FROM tapflow.gaps WHERE device_id = 'tap-0003-01'`)).toEqual([{ f: 5, u: 0 }])
  })

  it('replays a WAL an older gateway wrote in the v1 (JSON) record format, beside v2 records', async () => {
    const walDir = join(db.dir, 'wal-v1')
    mkdirSync(walDir)
    const dev = 'tap-0004-01'
    const now = Date.now()
    const row = (seq: number): unknown[] => TEMPERATURES.toRow({ device_id: dev, venue_id: 'ven-0001', seq, ts: now - 1000 + seq, line_id: 1, line_temp_c: 3.25, keg_temp_c: 2.5, ambient_temp_c: 20, late: false, received_at: now })
    writeFileSync(join(walDir, '0000000000000001.wal'), Buffer.concat([encodeRecordV1(1, TEMPERATURES.name, row(1)), encodeRecordV1(2, TEMPERATURES.name, row(2))]))
    const wal = WriteAheadLog.open({ dir: walDir })
    expect(wal.recovered.map((r) => r.row !== undefined)).toEqual([true, true])
    await new Promise<void>((r) => wal.append(TEMPERATURES.name, TEMPERATURES.lineOf(row(3)), r))
    await wal.close()
    const again = WriteAheadLog.open({ dir: walDir })
    const gw = new Gateway({ source, clickhouse: db.ch, wal: again, batch: { maxDelayMs: 20 } })
    await gw.start()
    expect(again.depth).toBe(0)
    await gw.close()
    await again.close()
    expect(await q(`SELECT toUInt32(seq) AS s, line_temp_c AS t, toUnixTimestamp64Milli(ts) = ${now - 1000} + seq AS ts_ok FROM tapflow.temperatures WHERE device_id = '${dev}' ORDER BY seq`))
      .toEqual([{ s: 1, t: 3.25, ts_ok: 1 }, { s: 2, t: 3.25, ts_ok: 1 }, { s: 3, t: 3.25, ts_ok: 1 }])
  })
})
