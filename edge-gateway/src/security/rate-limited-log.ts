import { systemClock, type Clock, type Logger } from '../../../common/index.js'

export interface RateLimitedLogOptions {
  logger: Logger
  /** Time source for the windows. Default: the system clock. */
  clock?: Clock
  /** Length of one window, ms. Default: 10000. */
  intervalMs?: number
  /** Lines logged one by one per window; the rest are only counted. Default: 5. */
  burst?: number
}

/**
 * Warnings for events an attacker can trigger at will (refused connects, ACL denials, takeovers): the first
 * `burst` in each window are logged one by one, the rest are counted and reported as one summary line per
 * window, so 2,000 bad passwords print a handful of lines, not 2,000. The counters, not the log, are the record.
 */
export class RateLimitedLog {
  private readonly log: Logger
  private readonly clock: Clock
  private readonly intervalMs: number
  private readonly burst: number
  private windowStart = Number.NEGATIVE_INFINITY
  private logged = 0
  private suppressed = new Map<string, number>()
  private timer: NodeJS.Timeout | undefined

  constructor(opts: RateLimitedLogOptions) {
    this.log = opts.logger
    this.clock = opts.clock ?? systemClock
    this.intervalMs = opts.intervalMs ?? 10_000
    this.burst = opts.burst ?? 5
  }

  /** One event of kind `event` (e.g. `refused:bad_credentials`), logged at warn while the window's budget lasts. */
  warn(event: string, detail: Record<string, unknown>, message: string): void {
    const now = this.clock.now()
    if (now >= this.windowStart + this.intervalMs) {
      this.flush()
      this.windowStart = now
      this.logged = 0
    }
    if (this.logged < this.burst) {
      this.logged++
      this.log.warn({ ...detail, event }, message)
      return
    }
    this.suppressed.set(event, (this.suppressed.get(event) ?? 0) + 1)
    // A quiet spell after a burst still gets its summary: check once per window on a real timer.
    this.timer ??= setInterval(() => {
      if (this.clock.now() >= this.windowStart + this.intervalMs) this.flush()
    }, this.intervalMs).unref()
  }

  /** Logs the summary of what was counted but not logged, if anything. */
  flush(): void {
    if (this.suppressed.size === 0) return
    const counts = Object.fromEntries(this.suppressed)
    const total = [...this.suppressed.values()].reduce((a, b) => a + b, 0)
    this.suppressed = new Map()
    this.log.warn({ suppressed: counts, total, windowMs: this.intervalMs }, `security: ${total} more events in the last window (see the tapflow_broker_* counters)`)
  }

  close(): void {
    this.flush()
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }
}
