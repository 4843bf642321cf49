/** Outcome of one frame against its device's sequence. */
export type SeqVerdict =
  | { kind: 'next' }
  | { kind: 'gap'; from: number; to: number }
  /** `gap` is the range as first detected; `remaining` is how many of its frames are still missing. */
  | { kind: 'fills_gap'; gap: { from: number; to: number }; remaining: number }
  | { kind: 'duplicate' }

interface DeviceSeq {
  /** Highest seq seen. */
  high: number
  /** Missing ranges below `high`, inclusive, oldest first. */
  missing: [number, number][]
  /** Gaps as detected, with how many frames each still misses, so a fill can be reported against its gap. */
  gaps: { from: number; to: number; remaining: number }[]
}

/** Caps the ranges kept per device, so a device sending wild seqs cannot grow memory without bound. */
const MAX_RANGES = 64

/**
 * Per-device sequence tracking. Seq rises strictly per device across all frame kinds, so a jump is a lost
 * frame (a gap), a repeat is a duplicate, and a late frame inside a gap closes that part of it.
 */
export class SeqTracker {
  private readonly devices = new Map<string, DeviceSeq>()
  /** Frames currently missing across all devices. */
  openMissing = 0

  observe(deviceId: string, seq: number): SeqVerdict {
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
