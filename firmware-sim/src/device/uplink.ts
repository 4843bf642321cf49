import { NO_EFFECTS, type FaultState } from '../profiles/index.js'
import type { Frame, Schedule, Wire } from './types.js'

export interface UplinkOptions {
  /** The device's fault state: connectivity and data faults act here. */
  faults: FaultState
  /** Where frames go once they leave the device. */
  wire: Wire
  /** Wakes delayed frames (late-frames fault). */
  schedule: Schedule
  /** Scheduler key for delayed frames (the device's spare slot). */
  key: number
  /** Frames a device can queue while offline; the oldest are dropped beyond this. Default: 2,000. */
  maxQueue?: number
}

/**
 * The device's side of the wire, where connectivity and data faults happen: the device sends every frame
 * here, and the gateway sees what comes out exactly as it would from a real tap (queued bursts, losses,
 * late, swapped, doubled, corrupt frames).
 */
export class Uplink {
  private readonly faults: FaultState
  private readonly wire: Wire
  private readonly schedule: Schedule
  private readonly key: number
  private readonly maxQueue: number
  private queue: Frame[] = []
  private held: Frame | undefined

  constructor(opts: UplinkOptions) {
    this.faults = opts.faults
    this.wire = opts.wire
    this.schedule = opts.schedule
    this.key = opts.key
    this.maxQueue = opts.maxQueue ?? 2_000
  }

  /** Sends a frame the device made at `frame.tsMs` (simulated time) through whatever faults are active then. */
  send(frame: Frame): void {
    const t = frame.tsMs
    const fx = this.faults.at(t)
    if (fx === NO_EFFECTS && this.queue.length === 0 && this.held === undefined) {
      this.wire(frame)
      return
    }
    if (fx.offline) {
      this.queue.push(frame)
      if (this.queue.length > this.maxQueue) this.queue.shift()
      return
    }
    if (this.queue.length > 0) for (const f of this.queue.splice(0)) this.wire(f)
    const r = this.faults.rng
    if (fx.lossProb > 0 && r.next() < fx.lossProb) return
    let out = frame
    if (fx.corruptProb > 0 && r.next() < fx.corruptProb) out = corrupt(frame, r.next())
    if (fx.lateProb > 0 && r.next() < fx.lateProb) {
      this.schedule(t + fx.lateMs, this.key, () => this.wire(out))
      return
    }
    if (this.held !== undefined) {
      const held = this.held
      this.held = undefined
      this.wire(out)
      this.wire(held)
      return
    }
    if (fx.reorderProb > 0 && r.next() < fx.reorderProb) {
      this.held = out
      return
    }
    this.wire(out)
    if (fx.duplicateProb > 0 && r.next() < fx.duplicateProb) this.wire(out)
  }
}

/** A payload that no longer decodes: byte 0 becomes an invalid wire type (7), one more byte flips. */
function corrupt(frame: Frame, u: number): Frame {
  const payload = Uint8Array.from(frame.payload)
  payload[0] = 0xff
  const i = 1 + Math.floor(u * Math.max(1, payload.length - 1))
  if (i < payload.length) payload[i] = payload[i]! ^ 0x5a
  return { ...frame, payload }
}
