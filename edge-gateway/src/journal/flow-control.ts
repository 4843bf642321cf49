import type { Logger } from '../../../common/index.js'
import type { WriteAheadLog } from './wal.js'

/** A frame as it came from the source, with the callback that lets the source send its PUBACK. */
export interface HeldFrame {
  topic: string
  payload: Buffer
  puback: () => void
}

/**
 * Back-pressure for a full WAL. While the log is full (or frames are already waiting, to keep their order),
 * frames are held here undecoded and without their PUBACK, so the device (embedded broker) or the broker
 * (external) keeps them and sends no more than its in-flight window. Once the log has room they go back
 * through the gateway, in arrival order.
 */
export class WalFlowControl {
  private held: HeldFrame[] = []

  constructor(
    private readonly wal: WriteAheadLog,
    /** Where held frames go when there is room again: the gateway's `handle`. */
    private readonly resume: (frame: HeldFrame) => void,
    private readonly log: Logger,
  ) {}

  /** Frames held back, without their PUBACK, because the WAL is full. */
  get heldFrames(): number {
    return this.held.length
  }

  /** True if the frame was held: the caller must not process it now. */
  hold(topic: string, payload: Uint8Array, puback: () => void): boolean {
    if (!this.wal.full && this.held.length === 0) return false
    this.held.push({ topic, payload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), puback })
    if (this.held.length === 1) {
      this.log.warn({ walBytes: this.wal.bytes, maxBytes: this.wal.maxBytes }, 'WAL full: holding frames unacknowledged until ClickHouse catches up')
      void this.wal.whenSpace().then(() => this.release())
    }
    return true
  }

  private release(): void {
    const held = this.held
    this.held = []
    this.log.info({ frames: held.length }, 'WAL has room again: taking held frames')
    for (const f of held) this.resume(f)
  }
}
