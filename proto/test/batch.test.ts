import $protobuf from 'protobufjs/minimal.js'
import { describe, expect, it } from 'vitest'
import { Rng } from '../../common/index.js'
import { HealthFrame, PourEvent, TelemetryBatch, TemperatureReading, encodeBatch, type FrameKind } from '../index.js'

const FIELD: Record<FrameKind, number> = { pour: 1, temp: 2, health: 3 }

/** The batch as protobufjs' own Writer frames it: the oracle the one-buffer encoder must match byte for byte. */
function protobufjsBatch(frames: readonly { kind: FrameKind; payload: Uint8Array }[]): Uint8Array {
  const w = $protobuf.Writer.create()
  for (const f of frames) w.uint32(10).fork().uint32((FIELD[f.kind] << 3) | 2).bytes(f.payload).ldelim()
  return w.finish()
}

describe('encodeBatch', () => {
  it('gives protobufjs\' bytes for batches of any size and payload length', () => {
    const r = new Rng('batch-encode')
    const kinds: FrameKind[] = ['pour', 'temp', 'health']
    for (let i = 0; i < 300; i++) {
      const frames = Array.from({ length: r.int(1, 12) }, () => ({
        kind: kinds[r.int(0, 2)]!,
        // Lengths across the 1-, 2- and 3-byte varint boundaries of both length prefixes.
        payload: Uint8Array.from({ length: r.pick([0, 1, 50, 124, 125, 126, 127, 128, 16_379, 16_380, 16_384, 20_000]) }, () => r.int(0, 255)),
      }))
      expect(Buffer.from(encodeBatch(frames)).toString('hex')).toBe(Buffer.from(protobufjsBatch(frames)).toString('hex'))
    }
  })

  it('decodes as a TelemetryBatch of the same frames in order', () => {
    const batch = TelemetryBatch.decode(encodeBatch([
      { kind: 'temp', payload: TemperatureReading.encode({ device_id: 'tap-1', seq: 5, keg_temp_c: 3.5 }).finish() },
      { kind: 'pour', payload: PourEvent.encode({ device_id: 'tap-1', seq: 6, volume_ml: 500 }).finish() },
      { kind: 'health', payload: HealthFrame.encode({ device_id: 'tap-1', seq: 7, rssi_dbm: -60 }).finish() },
    ]))
    expect(batch.frames.map((f) => [f.kind, Number((f.pour ?? f.temp ?? f.health)?.seq)])).toEqual([['temp', 5], ['pour', 6], ['health', 7]])
    expect([batch.frames[0]?.temp?.keg_temp_c, batch.frames[1]?.pour?.volume_ml, batch.frames[2]?.health?.rssi_dbm]).toEqual([3.5, 500, -60])
  })
})
