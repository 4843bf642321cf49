import type { Frame } from '../device/types.js'
import type { FaultState } from './fault-state.js'
import { NO_EFFECTS } from './types.js'

export type Send = (frame: Frame) => void
export type Schedule = (at: number, key: number, task: (at: number) => void) => void

/**
 * The device's side of the wire, where connectivity and data faults happen: the gateway sees them
 * exactly as it would from a real tap (queued bursts, losses, late, swapped, doubled, corrupt frames).
 */
export class Uplink {
  private queue: Frame[] = []
  private held: Frame | undefined

  constructor(
    private readonly faults: FaultState,
    private readonly send: Send,
    private readonly schedule: Schedule,
    /** Scheduler key for delayed frames (the device's spare slot). */
    private readonly key: number,
    /** Frames a device can queue while offline; the oldest are dropped beyond this. */
    private readonly maxQueue = 2_000,
  ) {}

  push(frame: Frame, t: number): void {
    const fx = this.faults.at(t)
    if (fx === NO_EFFECTS && this.queue.length === 0 && this.held === undefined) {
      this.send(frame)
      return
    }
    if (fx.offline) {
      this.queue.push(frame)
      if (this.queue.length > this.maxQueue) this.queue.shift()
      return
    }
    if (this.queue.length > 0) for (const f of this.queue.splice(0)) this.send(f)
    const r = this.faults.rng
    if (fx.lossProb > 0 && r.next() < fx.lossProb) return
    let out = frame
    if (fx.corruptProb > 0 && r.next() < fx.corruptProb) out = corrupt(frame, r.next())
    if (fx.lateProb > 0 && r.next() < fx.lateProb) {
      this.schedule(t + fx.lateMs, this.key, () => this.send(out))
      return
    }
    if (this.held !== undefined) {
      const held = this.held
      this.held = undefined
      this.send(out)
      this.send(held)
      return
    }
    if (fx.reorderProb > 0 && r.next() < fx.reorderProb) {
      this.held = out
      return
    }
    this.send(out)
    if (fx.duplicateProb > 0 && r.next() < fx.duplicateProb) this.send(out)
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
