/** Query-string parsing for the dashboard API. Every value is validated here and then bound server-side. */
import { parseDuration } from '../../common/index.js'

/** A request the API refuses, with the HTTP status to send. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
    this.name = 'HttpError'
  }
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/
export const MAX_RANGE_MS = 90 * 86_400_000
const INTEGER = /^-?\d{1,16}$/
/** Instants the charts take: well inside DateTime64(3)'s range, so a bad `to` is a 400, never a ClickHouse error. */
const MIN_INSTANT = Date.UTC(2000, 0, 1)
const MAX_INSTANT = Date.UTC(2100, 0, 1)

export class Params {
  constructor(private readonly q: URLSearchParams) {}

  /** Rejects parameters the endpoint does not know, so a typo is a 400 rather than a silent default. */
  only(...names: string[]): this {
    for (const k of this.q.keys()) {
      if (!names.includes(k)) throw new HttpError(400, `unknown parameter '${k.slice(0, 40)}'${names.length ? ` (expected ${names.join(', ')})` : ''}`)
      // Which of two values wins is not obvious to whoever sent them, so neither does.
      if (this.q.getAll(k).length > 1) throw new HttpError(400, `parameter '${k}' given more than once`)
    }
    return this
  }

  id(name: string): string {
    const v = this.q.get(name)
    if (v === null || v === '') throw new HttpError(400, `missing parameter '${name}'`)
    if (!ID.test(v)) throw new HttpError(400, `bad ${name} '${v.slice(0, 80)}': expected letters, digits, '.', '_', ':' or '-' (max 64)`)
    return v
  }

  /** Decimal digits only: Number() would also take 1e2, 0x64, ' 100' and 100.0. */
  int(name: string, dflt: number, min: number, max: number): number {
    const v = this.q.get(name)
    if (v === null || v === '') return dflt
    const n = INTEGER.test(v) ? Number(v) : Number.NaN
    if (!Number.isInteger(n) || n < min || n > max) throw new HttpError(400, `bad ${name} '${v.slice(0, 40)}': expected an integer from ${min} to ${max}`)
    return n
  }

  /** A look-back such as 30m, 24h or 7d (common's duration grammar); at most 90 days. */
  range(name: string, dflt: string): number {
    const v = this.q.get(name) ?? dflt
    const ms = parseDuration(v) ?? Number.NaN
    if (!(ms > 0) || ms > MAX_RANGE_MS) throw new HttpError(400, `bad ${name} '${v.slice(0, 40)}': expected a duration such as 30m, 24h or 7d, at most 90d`)
    return ms
  }

  /** An ISO date-time or epoch milliseconds, from 2000 to 2100; absent means `dflt`. */
  instant(name: string, dflt: number): number {
    const v = this.q.get(name)
    if (v === null || v === '') return dflt
    const t = /^\d{1,15}$/.test(v) ? Number(v) : Date.parse(v)
    if (!Number.isFinite(t) || t < MIN_INSTANT || t >= MAX_INSTANT) {
      throw new HttpError(400, `bad ${name} '${v.slice(0, 40)}': expected an ISO date-time or epoch milliseconds from 2000 to 2100`)
    }
    return t
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], dflt: T): T {
    const v = this.q.get(name)
    if (v === null || v === '') return dflt
    if (!(allowed as readonly string[]).includes(v)) throw new HttpError(400, `bad ${name} '${v.slice(0, 40)}': expected one of ${allowed.join(', ')}`)
    return v as T
  }

  /** Free-text search; bound as a parameter, never spliced into SQL. */
  text(name: string, maxLen = 100): string {
    const v = this.q.get(name) ?? ''
    if (v.length > maxLen) throw new HttpError(400, `bad ${name}: longer than ${maxLen} characters`)
    return v
  }
}
