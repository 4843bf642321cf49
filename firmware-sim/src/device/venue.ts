/** Venue kinds, their opening hours and how busy each local hour and weekday is. */
export const VENUE_TYPES = ['pub', 'sports-bar', 'restaurant', 'nightclub', 'hotel-bar', 'brewpub'] as const
export type VenueType = (typeof VENUE_TYPES)[number]

// Relative demand per local hour 0..23 (0 = closed). Shapes, not rates: they are normalised below.
const HOURLY: Record<VenueType, readonly number[]> = {
  pub: [3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 4, 5, 3, 3, 4, 7, 9, 10, 10, 9, 7, 5],
  'sports-bar': [5, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 4, 3, 3, 5, 7, 9, 10, 10, 9, 8, 7],
  restaurant: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 6, 7, 3, 1, 1, 3, 7, 9, 8, 5, 3, 1],
  nightclub: [10, 9, 8, 6, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 6, 9],
  'hotel-bar': [3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 5, 7, 8, 8, 7, 6, 4],
  brewpub: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 5, 4, 4, 5, 7, 9, 10, 9, 7, 4, 1],
}

// Relative demand by local weekday, Sunday = 0.
const WEEKDAY: Record<VenueType, readonly number[]> = {
  pub: [0.8, 0.6, 0.7, 0.8, 1.0, 1.4, 1.5],
  'sports-bar': [1.3, 0.8, 0.7, 0.8, 1.0, 1.3, 1.4],
  restaurant: [0.9, 0.6, 0.8, 0.9, 1.0, 1.3, 1.3],
  nightclub: [0.5, 0.1, 0.2, 0.4, 0.8, 1.6, 1.8],
  'hotel-bar': [0.8, 0.9, 1.0, 1.0, 1.0, 1.1, 1.0],
  brewpub: [1.1, 0.6, 0.7, 0.8, 1.0, 1.3, 1.4],
}

// For a nightclub the hours after midnight belong to the previous evening; shifting the weekday by the
// open hour keeps "Saturday night" together.
const DAY_STARTS_AT = 6

export interface Demand {
  /** Pours per hour for a tap of popularity 1 at this local hour and weekday. */
  rate(localHour: number, weekday: number): number
  /** Upper bound of `rate`, for thinning. */
  readonly max: number
}

/** Builds a demand curve whose weekly average is `poursPerDay` pours per tap per day. */
export function demandFor(type: VenueType, poursPerDay: number): Demand {
  const hourly = HOURLY[type]
  const weekday = WEEKDAY[type]
  let weekly = 0
  for (let d = 0; d < 7; d++) for (let h = 0; h < 24; h++) weekly += hourly[h]! * weekday[d]!
  const scale = (poursPerDay * 7) / weekly
  const rate = (h: number, d: number): number => {
    const day = h < DAY_STARTS_AT ? (d + 6) % 7 : d
    return scale * hourly[h]! * weekday[day]!
  }
  return { rate, max: scale * Math.max(...hourly) * Math.max(...weekday) }
}

/** Restricts a demand curve to the venue's opening hours [open, close), when it has them; close may pass midnight. */
export function withinHours(d: Demand, hours: readonly [number, number] | undefined): Demand {
  if (hours === undefined) return d
  const [open, close] = hours
  const isOpen = (h: number): boolean => (open < close ? h >= open && h < close : h >= open || h < close)
  return { max: d.max, rate: (h, w) => (isOpen(h) ? d.rate(h, w) : 0) }
}

/** Busy-ness 0..1 at a local hour, used to warm the bar's air. */
export function busyness(type: VenueType, localHour: number): number {
  return HOURLY[type][localHour]! / 10
}

const HOUR = 3_600_000
const DAY = 24 * HOUR

/**
 * Local hour and weekday in a time zone. Offsets change only at DST boundaries, so each hour's offset is looked up
 * with Intl once and kept, shared by every tap in the zone. Not one cached hour: taps drawing their next pour probe
 * hours ahead of the others, and a single entry would make them evict each other on every call.
 */
export class LocalTime {
  private readonly fmt: Intl.DateTimeFormat
  /** Offset by hour index (ts / 1 h); a year of hours is 8,760 numbers, so emptied only past that. */
  private readonly offsets = new Map<number, number>()

  constructor(readonly timeZone: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    })
  }

  offsetMs(ts: number): number {
    const hourIdx = Math.floor(ts / HOUR)
    const known = this.offsets.get(hourIdx)
    if (known !== undefined) return known
    const p: Record<string, number> = {}
    for (const part of this.fmt.formatToParts(hourIdx * HOUR)) p[part.type] = Number(part.value)
    const offset = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!) - hourIdx * HOUR
    if (this.offsets.size >= 8_760) this.offsets.clear()
    this.offsets.set(hourIdx, offset)
    return offset
  }

  hour(ts: number): number {
    const local = ts + this.offsetMs(ts)
    return Math.floor((((local % DAY) + DAY) % DAY) / HOUR)
  }

  /** 0 = Sunday. The epoch was a Thursday. */
  weekday(ts: number): number {
    const local = ts + this.offsetMs(ts)
    return (((Math.floor(local / DAY) + 4) % 7) + 7) % 7
  }
}
