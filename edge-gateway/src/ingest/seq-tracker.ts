/** Outcome of one frame against its device's sequence. */
export type SeqVerdict =
  | { kind: 'next' }
  | { kind: 'gap'; from: number; to: number }
  /** `gap` is the range as first detected; `remaining` is how many of its frames are still missing. */
  | { kind: 'fills_gap'; gap: { from: number; to: number }; remaining: number }
  | { kind: 'duplicate' }
  /** Too far from the device's sequence to be a loss: dead-letter the frame, keep the sequence as it was. */
  | { kind: 'implausible'; detail: string }
  /** The device confirmed an implausible seq with the next one: its sequence restarts there, and no gap is reported. */
  | { kind: 'reset'; from: number; to: number }

interface DeviceSeq {
  /** Highest seq seen. */
  high: number
  /** Missing ranges below `high`, inclusive, oldest first. */
  missing: [number, number][]
  /** Gaps as detected, with how many frames each still misses, so a fill can be reported against its gap. */
  gaps: { from: number; to: number; remaining: number }[]
  /** The last implausible seq, which the device's next frame (suspect + 1) can confirm as a reset. */
  suspect?: number
}

/** Caps the ranges kept per device, so a device sending wild seqs cannot grow memory without bound. */
const MAX_RANGES = 64

/**
 * The largest jump (forward, or backward outside a known gap) taken as part of a device's sequence. A TapFlow
 * tap sends ~520 frames a day, so 1,000,000 missing frames would be years of loss, and even a device at 10
 * frames/s would need a day-long outage with its seq still counting. A bigger jump is a corrupt or hostile frame
 * (one frame with seq 2^53 - 1 would otherwise report 9e15 frames missing and make every later frame look like
 * a duplicate) or a device whose counter was reset. The frame is dead-lettered, so it is kept, not dropped; if
 * the device goes on from it (its next frame is seq + 1), that is a reset and the sequence restarts there.
 */
export const MAX_SEQ_JUMP = 1_000_000

/**
 * Per-device sequence tracking. Seq rises strictly per device across all frame kinds, so a jump is a lost
 * frame (a gap), a repeat is a duplicate, and a late frame inside a gap closes that part of it.
 */
export class SeqTracker {
  private readonly devices = new Map<string, DeviceSeq>()
  /** Frames currently missing across all devices. */
  openMissing = 0

  observe(deviceId: string, seq: number): SeqVerdict {
    if (!Number.isSafeInteger(seq) || seq < 1) return { kind: 'implausible', detail: `seq ${seq} is not an integer from 1 to 2^53 - 1` }
    const d = this.devices.get(deviceId)
    if (d === undefined) {
      // First frame from this device since the gateway started: what came before is history, not a gap.
      this.devices.set(deviceId, { high: seq, missing: [], gaps: [] })
      return { kind: 'next' }
    }
    if (seq === d.high + 1) {
      d.high = seq
      return { kind: 'next' }
    }
    if (d.suspect !== undefined && seq === d.suspect + 1) return this.reset(d, seq)
    if (Math.abs(seq - d.high) > MAX_SEQ_JUMP && !d.missing.some(([from, to]) => seq >= from && seq <= to)) {
      d.suspect = seq
      return { kind: 'implausible', detail: `seq ${seq} is ${seq - d.high} from the device's last seq ${d.high}, beyond the plausible ${MAX_SEQ_JUMP}` }
    }
    if (seq > d.high + 1) {
      const gap = { kind: 'gap' as const, from: d.high + 1, to: seq - 1 }
      d.missing.push([gap.from, gap.to])
      d.gaps.push({ from: gap.from, to: gap.to, remaining: gap.to - gap.from + 1 })
      if (d.gaps.length > MAX_RANGES) d.gaps.shift()
      this.openMissing += gap.to - gap.from + 1
      if (d.missing.length > MAX_RANGES) {
        const dropped = d.missing.shift()!
        this.openMissing -= dropped[1] - dropped[0] + 1
      }
      d.high = seq
      return gap
    }
    // seq <= high: a late frame filling a gap, or a duplicate.
    for (let i = 0; i < d.missing.length; i++) {
      const [from, to] = d.missing[i]!
      if (seq < from || seq > to) continue
      const parts: [number, number][] = []
      if (from <= seq - 1) parts.push([from, seq - 1])
      if (seq + 1 <= to) parts.push([seq + 1, to])
      d.missing.splice(i, 1, ...parts)
      this.openMissing--
      const g = d.gaps.find((x) => seq >= x.from && seq <= x.to) ?? { from: seq, to: seq, remaining: 1 }
      g.remaining--
      const at = d.gaps.indexOf(g)
      if (g.remaining === 0 && at >= 0) d.gaps.splice(at, 1)
      return { kind: 'fills_gap', gap: { from: g.from, to: g.to }, remaining: g.remaining }
    }
    return { kind: 'duplicate' }
  }

  /** The device's counter restarted near `seq`. Gaps below stay open: their frames may still arrive late. */
  private reset(d: DeviceSeq, seq: number): SeqVerdict {
    const from = d.high
    d.suspect = undefined
    d.high = seq
    return { kind: 'reset', from, to: seq }
  }

  /**
   * Starts a device at `high` (e.g. the highest seq already in ClickHouse after a restart), so the first
   * frame after a restart is judged against what landed before it. Ignored once the device has been seen.
   */
  seed(deviceId: string, high: number): void {
    if (!this.devices.has(deviceId)) this.devices.set(deviceId, { high, missing: [], gaps: [] })
  }

  /** Devices seen so far. */
  get devicesSeen(): number {
    return this.devices.size
  }

  /** Missing ranges for one device, for reports and tests. */
  missing(deviceId: string): readonly (readonly [number, number])[] {
    return this.devices.get(deviceId)?.missing ?? []
  }
}
