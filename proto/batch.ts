import type { FrameKind } from './topics.js'

// Field numbers of the Frame oneof in telemetry.proto.
const FRAME_FIELD: Record<FrameKind, number> = { pour: 1, temp: 2, health: 3 }

/**
 * A TelemetryBatch of already-encoded frames, without decoding them: a Frame's oneof case is the kind's message,
 * length-delimited, so its bytes are exactly the frame's own encoding (the same bytes `TelemetryBatch.encode` gives).
 * Sized first and written once into one buffer: protobufjs' Writer would build a list of write operations per frame,
 * and the simulator encodes one batch per MQTT message.
 */
export function encodeBatch(frames: readonly { kind: FrameKind; payload: Uint8Array }[]): Buffer {
  let size = 0
  for (const f of frames) {
    const inner = 1 + varintSize(f.payload.length) + f.payload.length
    size += 1 + varintSize(inner) + inner
  }
  const out = Buffer.allocUnsafe(size)
  let pos = 0
  for (const f of frames) {
    const n = f.payload.length
    // TelemetryBatch.frames = 1 (LEN) → Frame { <kind> = n (LEN) → payload }
    out[pos++] = 10
    pos = varint(out, pos, 1 + varintSize(n) + n)
    out[pos++] = (FRAME_FIELD[f.kind] << 3) | 2
    pos = varint(out, pos, n)
    out.set(f.payload, pos)
    pos += n
  }
  return out
}

/** Collects frames one at a time, for callers that build a batch as they go; `finish` encodes them with `encodeBatch`. */
export class BatchWriter {
  private frames: { kind: FrameKind; payload: Uint8Array }[] = []

  get count(): number {
    return this.frames.length
  }

  add(kind: FrameKind, payload: Uint8Array): void {
    this.frames.push({ kind, payload })
  }

  /** The encoded batch; the writer starts empty again. */
  finish(): Uint8Array {
    const out = encodeBatch(this.frames)
    this.frames = []
    return out
  }
}

function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5
}

function varint(buf: Buffer, pos: number, v: number): number {
  while (v > 0x7f) {
    buf[pos++] = (v & 0x7f) | 0x80
    v >>>= 7
  }
  buf[pos++] = v
  return pos
}
