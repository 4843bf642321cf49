import $protobuf from 'protobufjs/minimal.js'
import type { FrameKind } from './topics.js'

// Field numbers of the Frame oneof in telemetry.proto.
const FRAME_FIELD: Record<FrameKind, number> = { pour: 1, temp: 2, health: 3 }

/**
 * Packs already-encoded frames into a TelemetryBatch without decoding them: a Frame's oneof case is the
 * kind's message, length-delimited, so its bytes are exactly the frame's own encoding.
 */
export class BatchWriter {
  private writer = $protobuf.Writer.create()
  count = 0

  add(kind: FrameKind, payload: Uint8Array): void {
    // TelemetryBatch.frames = 1 (LEN) → Frame { <kind> = n (LEN) → payload }
    this.writer.uint32(10).fork().uint32((FRAME_FIELD[kind] << 3) | 2).bytes(payload).ldelim()
    this.count++
  }

  /** The encoded batch; the writer starts empty again. */
  finish(): Uint8Array {
    const out = this.writer.finish()
    this.writer = $protobuf.Writer.create()
    this.count = 0
    return out
  }
}
