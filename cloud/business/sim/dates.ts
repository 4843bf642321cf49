import { ConfigError } from '../../../common/index.js'

/** Simulated days are 'YYYY-MM-DD' strings in UTC; months are 'YYYY-MM'. All arithmetic is calendar-exact. */
const DAY_MS = 86_400_000

// The last day parsed: the simulation asks for the same day thousands of times in a row (tsInDay per event).
let lastDay = ''
let lastMs = NaN

export function dayToMs(day: string): number {
  if (day !== lastDay) {
    lastMs = Date.parse(`${day}T00:00:00Z`)
    lastDay = day
  }
  return lastMs
}

export function msToDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

export function addDays(day: string, n: number): string {
  return msToDay(dayToMs(day) + n * DAY_MS)
}

export function daysBetween(from: string, to: string): number {
  return Math.round((dayToMs(to) - dayToMs(from)) / DAY_MS)
}

export function monthOf(day: string): string {
  return day.slice(0, 7)
}

export function monthStart(month: string): string {
  return `${month}-01`
}

export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number]
  const idx = y * 12 + (m - 1) + n
  return `${Math.floor(idx / 12)}-${String((idx % 12) + 1).padStart(2, '0')}`
}

/** Last day of a month. */
export function monthEnd(month: string): string {
  return addDays(monthStart(addMonths(month, 1)), -1)
}

export function dayOfMonth(day: string): number {
  return Number(day.slice(8, 10))
}

/** 0 = Sunday. */
export function weekday(day: string): number {
  return new Date(dayToMs(day)).getUTCDay()
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n))

/** A timestamp inside a day, `seconds` after midnight UTC (as toISOString writes it; outside the day, by it). */
export function tsInDay(day: string, seconds: number): string {
  const ms = Math.floor(seconds * 1000)
  if (ms < 0 || ms >= DAY_MS || day.length !== 10) return new Date(dayToMs(day) + ms).toISOString()
  const s = Math.floor(ms / 1000)
  const milli = ms - s * 1000
  return `${day}T${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`
}

export function parseDay(s: string, what: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s) || Number.isNaN(dayToMs(s)) || msToDay(dayToMs(s)) !== s) {
    throw new ConfigError(`invalid ${what} "${s}": expected a date YYYY-MM-DD`)
  }
  return s
}

// In common (light), so the CLI's --month parser does not load the business.
export { parseMonth } from '../../../common/index.js'

// addMonthsToDay is asked, for every account every day, whether its contract renews today: a few thousand
// distinct questions a run.
const monthsLater = new Map<string, string>()

/** Same day-of-month n months later, clamped to the month's end (Jan 31 + 1 → Feb 28). */
export function addMonthsToDay(day: string, n: number): string {
  const key = `${day}|${n}`
  let out = monthsLater.get(key)
  if (out === undefined) {
    if (monthsLater.size > 100_000) monthsLater.clear()
    monthsLater.set(key, (out = computeMonthsLater(day, n)))
  }
  return out
}

function computeMonthsLater(day: string, n: number): string {
  const m = addMonths(monthOf(day), n)
  const end = monthEnd(m)
  const d = `${m}-${day.slice(8, 10)}`
  return d > end ? end : d
}
