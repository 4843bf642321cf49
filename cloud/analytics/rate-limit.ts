import type { Clock } from '../../common/index.js'

export interface RateLimit {
  /** Requests a client may make per second, sustained. Default: 50 (posthog-js sends about one a second). */
  requestsPerSecond: number
  /** Requests a client may make at once after a quiet spell. Default: 100. */
  burst: number
}

export const DEFAULT_RATE_LIMIT: RateLimit = { requestsPerSecond: 50, burst: 100 }

/** Clients remembered at most; past this, buckets that have refilled are forgotten (they are back to `burst`). */
const MAX_CLIENTS = 10_000

/** A token bucket per client (its address): a request takes one token; tokens refill at the sustained rate. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    private readonly limit: RateLimit,
    private readonly clock: Clock,
  ) {}

  /** 0 when `client` may go ahead (and takes its token), else the seconds until it may. */
  take(client: string): number {
    const now = this.clock.now()
    const b = this.buckets.get(client) ?? { tokens: this.limit.burst, at: now }
    b.tokens = Math.min(this.limit.burst, b.tokens + ((now - b.at) / 1000) * this.limit.requestsPerSecond)
    b.at = now
    if (this.buckets.size >= MAX_CLIENTS && !this.buckets.has(client)) this.prune(now)
    this.buckets.set(client, b)
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.limit.requestsPerSecond))
  }

  private prune(now: number): void {
    const full = (this.limit.burst / this.limit.requestsPerSecond) * 1000
    for (const [k, b] of this.buckets) if (now - b.at >= full) this.buckets.delete(k)
  }
}
