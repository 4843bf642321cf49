import { EventHeap } from './event-heap.js'
import type { SimClock } from './sim-clock.js'

export type Task = (at: number) => void

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export interface SchedulerOptions {
  clock: SimClock
  /** Stop before the first event after this simulated time. Default: run until stopped or out of events. */
  until?: number
  /** At 'max' speed, yield to the event loop after this many events so I/O keeps flowing. Default: 512. */
  yieldEvery?: number
  /** Backpressure: called after each event; when it returns a promise the scheduler waits for it. Default: none. */
  gate?: () => Promise<void> | undefined
  /** Timer functions. Default: the global ones. */
  timers?: Timers
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
}

/**
 * One scheduler for the whole fleet: a single heap of (simulated time, task), drained in time order.
 * Thousands of actors share it instead of each holding a timer.
 */
export class Scheduler {
  private readonly heap = new EventHeap<Task>()
  private readonly clock: SimClock
  private readonly until: number
  private readonly yieldEvery: number
  private readonly gate: (() => Promise<void> | undefined) | undefined
  private readonly timers: Timers
  private stopped = false
  private wake: (() => void) | undefined
  private sleepHandle: unknown
  /** Events run so far. */
  processed = 0

  constructor(opts: SchedulerOptions) {
    this.clock = opts.clock
    this.until = opts.until ?? Number.POSITIVE_INFINITY
    this.yieldEvery = opts.yieldEvery ?? 512
    this.gate = opts.gate
    this.timers = opts.timers ?? realTimers
  }

  get pending(): number {
    return this.heap.size
  }

  /** Simulated time of the next event, if any. */
  get nextAt(): number | undefined {
    return this.heap.peekAt()
  }

  /** Queues `task` at simulated time `at`; `key` orders events that share a time. */
  schedule(at: number, key: number, task: Task): void {
    this.heap.push(at, key, task)
  }

  /** Runs events in time order until stopped, out of events, or past `until`. */
  async run(): Promise<void> {
    this.stopped = false
    let sinceYield = 0
    while (!this.stopped) {
      const at = this.heap.peekAt()
      if (at === undefined || at > this.until) break
      const delay = this.clock.realDelayUntil(at)
      if (delay > 0) {
        await this.sleep(Math.min(delay, 250))
        sinceYield = 0
        continue
      }
      const task = this.heap.pop()!
      this.clock.advanceTo(at)
      task(at)
      this.processed++
      const wait = this.gate?.()
      if (wait !== undefined) {
        await wait
        sinceYield = 0
      } else if (++sinceYield >= this.yieldEvery) {
        sinceYield = 0
        await new Promise<void>((r) => setImmediate(r))
      }
    }
  }

  /** Makes `run()` return after the event in progress. */
  stop(): void {
    this.stopped = true
    if (this.wake !== undefined) {
      this.timers.clearTimeout(this.sleepHandle)
      this.wake()
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = undefined
        resolve()
      }
      this.sleepHandle = this.timers.setTimeout(() => this.wake?.(), ms)
    })
  }
}
