/**
 * A binary min-heap of timed events. Ties break on a caller-given key (device index and frame kind),
 * so the order of simultaneous events is the same however the fleet is sharded or paced.
 */
export interface TimedEvent<T> {
  at: number
  order: number
  payload: T
}

export class EventHeap<T> {
  private readonly items: TimedEvent<T>[] = []
  get size(): number {
    return this.items.length
  }

  push(at: number, order: number, payload: T): void {
    const ev = { at, order, payload }
    const a = this.items
    a.push(ev)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!less(a[i]!, a[p]!)) break
      ;[a[i], a[p]] = [a[p]!, a[i]!]
      i = p
    }
  }

  peek(): TimedEvent<T> | undefined {
    return this.items[0]
  }

  pop(): TimedEvent<T> | undefined {
    const a = this.items
    const top = a[0]
    const last = a.pop()
    if (a.length > 0 && last !== undefined) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && less(a[l]!, a[m]!)) m = l
        if (r < a.length && less(a[r]!, a[m]!)) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m]!, a[i]!]
        i = m
      }
    }
    return top
  }
}

function less<T>(x: TimedEvent<T>, y: TimedEvent<T>): boolean {
  return x.at < y.at || (x.at === y.at && x.order < y.order)
}
