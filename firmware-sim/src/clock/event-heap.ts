/**
 * A binary min-heap of timed events. Ties break on a caller-given key (device index and frame kind),
 * so the order of simultaneous events is the same however the fleet is sharded or paced.
 * Kept as three parallel arrays, with the moving entry held aside while parents or children shift into its hole:
 * an object per event (and an array per swap) was a steady stream of garbage at millions of events.
 */
export class EventHeap<T> {
  private readonly ats: number[] = []
  private readonly orders: number[] = []
  private readonly payloads: T[] = []

  get size(): number {
    return this.ats.length
  }

  push(at: number, order: number, payload: T): void {
    const { ats, orders, payloads } = this
    let i = ats.length
    ats.push(at)
    orders.push(order)
    payloads.push(payload)
    while (i > 0) {
      const p = (i - 1) >> 1
      const pa = ats[p]!
      if (!(at < pa || (at === pa && order < orders[p]!))) break
      ats[i] = pa
      orders[i] = orders[p]!
      payloads[i] = payloads[p]!
      i = p
    }
    ats[i] = at
    orders[i] = order
    payloads[i] = payload
  }

  /** Time of the earliest event, if any. */
  peekAt(): number | undefined {
    return this.ats[0]
  }

  /** Removes the earliest event and returns its payload. */
  pop(): T | undefined {
    const { ats, orders, payloads } = this
    if (ats.length === 0) return undefined
    const top = payloads[0]
    const at = ats.pop()!
    const order = orders.pop()!
    const payload = payloads.pop()!
    const n = ats.length
    if (n === 0) return top
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      let m = l
      if (r < n && (ats[r]! < ats[l]! || (ats[r] === ats[l] && orders[r]! < orders[l]!))) m = r
      const ma = ats[m]!
      if (!(ma < at || (ma === at && orders[m]! < order))) break
      ats[i] = ma
      orders[i] = orders[m]!
      payloads[i] = payloads[m]!
      i = m
    }
    ats[i] = at
    orders[i] = order
    payloads[i] = payload
    return top
  }
}
