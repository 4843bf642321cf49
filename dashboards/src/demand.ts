/**
 * Kegs: days until empty and what to reorder, from a demand forecast per tap. The forecast comes from the cloud's
 * demand model when the stack was given one (`DashboardServer.setDemandForecast`); otherwise, and for any tap the
 * model has no answer for, from the naive pace of the last week, labelled 'naive'.
 */

/** Litres per tap over the next 24 h, and the model version that predicted them (e.g. 'demand@3'). */
export type DemandForecast = (deviceIds: string[]) => Promise<Map<string, { litres24h: number; model: string }>>

/** The label of the fallback forecast: the last week's pace. */
export const NAIVE = 'naive'

/** Days a reorder must cover (until the next delivery): kegs running dry within this many days are reordered now. */
export const REORDER_DAYS = 3

const DAY = 86_400_000

export interface KegRow {
  deviceId: string
  lineId: number
  beverage: string
  kegSizeMl: number
  remainingMl: number | null
  poured: number | null
  weekMl: number
  sinceMs: number | null
}

export interface KegForecast {
  deviceId: string
  lineId: number
  beverage: string
  kegSizeL: number
  remainingL: number | null
  pct: number | null
  /** The last week's pace (or of the data so far, if younger). */
  litresPerDay: number
  /** Forecast litres over the next 24 h, and what made it: a model version or 'naive'. */
  litres24h: number
  forecast: string
  daysLeft: number | null
  reorder: boolean
}

export interface Reorder {
  beverage: string
  kegs: number
  kegSizeL: number
  /** The forecasts behind the number: model versions and/or 'naive'. */
  basis: string
}

/** Per keg: the forecast (the model's, else naive), days until empty, and whether to reorder now. */
export function kegForecasts(kegs: readonly KegRow[], to: number, model: ReadonlyMap<string, { litres24h: number; model: string }>): KegForecast[] {
  return kegs.map((k) => {
    const remaining = k.poured ? Math.max(0, k.remainingMl ?? 0) : null
    const observedDays = Math.min(7, Math.max(1 / 24, (to - (k.sinceMs ?? to)) / DAY))
    const naiveL = k.weekMl / observedDays / 1000
    const m = model.get(k.deviceId)
    const litres24h = m !== undefined && Number.isFinite(m.litres24h) ? Math.max(0, m.litres24h) : naiveL
    const daysLeft = remaining === null || litres24h <= 0 ? null : round2(remaining / 1000 / litres24h)
    return {
      deviceId: k.deviceId,
      lineId: k.lineId,
      beverage: k.beverage,
      kegSizeL: round2(k.kegSizeMl / 1000),
      remainingL: remaining === null ? null : round2(remaining / 1000),
      pct: remaining === null ? null : round2((100 * remaining) / k.kegSizeMl),
      litresPerDay: round2(naiveL),
      litres24h: round2(litres24h),
      forecast: m !== undefined && Number.isFinite(m.litres24h) ? m.model : NAIVE,
      daysLeft,
      reorder: remaining !== null && (remaining < 0.15 * k.kegSizeMl || (daysLeft !== null && daysLeft < REORDER_DAYS)),
    }
  })
}

/**
 * Kegs to order per beverage: for each tap, the kegs its forecast drinks beyond what is left over the next
 * `REORDER_DAYS` days (at least one when the keg is flagged), summed per beverage.
 */
export function reorders(kegs: readonly KegForecast[]): Reorder[] {
  const by = new Map<string, { kegs: number; kegSizeL: number; basis: Set<string> }>()
  for (const k of kegs) {
    if (k.remainingL === null) continue
    const short = k.litres24h * REORDER_DAYS - k.remainingL
    const n = Math.max(k.reorder ? 1 : 0, k.kegSizeL > 0 ? Math.ceil(short / k.kegSizeL) : 0)
    const b = by.get(k.beverage) ?? { kegs: 0, kegSizeL: k.kegSizeL, basis: new Set<string>() }
    b.kegs += n
    if (n > 0) b.basis.add(k.forecast)
    by.set(k.beverage, b)
  }
  return [...by].filter(([, b]) => b.kegs > 0)
    .map(([beverage, b]) => ({ beverage, kegs: b.kegs, kegSizeL: b.kegSizeL, basis: [...b.basis].sort().join(' + ') }))
    .sort((a, b) => b.kegs - a.kegs || a.beverage.localeCompare(b.beverage))
}

/** The model's forecasts for these taps, or none when there is no model or it fails (the caller falls back to naive). */
export async function modelForecasts(demand: DemandForecast | undefined, deviceIds: string[], onError: (err: unknown) => void): Promise<Map<string, { litres24h: number; model: string }>> {
  if (demand === undefined || deviceIds.length === 0) return new Map()
  try {
    return await demand(deviceIds)
  } catch (err) {
    onError(err)
    return new Map()
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100
}
