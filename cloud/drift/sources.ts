import type { FeatureStore, FeatureValue } from '../features/index.js'
import { DriftInputError, type DriftColumnValues } from './detect.js'

export interface FeatureWindowOptions {
  store: FeatureStore
  /** Default: `device`. */
  entity?: string
  /** Entity ids to sample (e.g. every id of `FeatureStore.entityIdsSql`). */
  ids: readonly string[]
  /** The window (from, to], ms since the epoch. */
  from: number
  to: number
  /** One point-in-time row per entity every this many ms, ending at `to`. Default: 6 h. */
  everyMs?: number
  /** Feature names. Default: every feature of the entity. */
  features?: readonly string[]
  /** Entity rows per retrieval (a read-only SQL port takes them inline, so keep it small there). Default: 50,000. */
  batch?: number
  onProgress?: (rowsDone: number, rowsTotal: number) => void
}

/**
 * A window of point-in-time feature values as a drift table: each entity sampled at `to`, `to − every`, … down
 * to just after `from`, through the feature store's offline retrieval (the values a model would have seen then).
 * Row i is entity `ids[floor(i / times.length)]` at `times[i % times.length]`.
 */
export async function readFeatureWindow(o: FeatureWindowOptions): Promise<{ table: Record<string, DriftColumnValues>; rows: number; entities: number; times: number[] }> {
  const entity = o.entity ?? 'device'
  const every = o.everyMs ?? 6 * 3_600_000
  if (!(o.to > o.from)) throw new DriftInputError(`the window ends (${iso(o.to)}) before it starts (${iso(o.from)})`)
  if (!(every > 0)) throw new DriftInputError('the sampling interval must be positive')
  const features = o.store.registry.resolve(o.features ?? o.store.registry.list(entity).map((f) => f.name), entity)
  const ids = o.ids
  if (ids.length === 0) throw new DriftInputError(`no ${entity} ids to sample`)
  const times: number[] = []
  for (let t = o.to; t > o.from; t -= every) times.push(t)
  const total = ids.length * times.length
  const columns = features.map((f) => (f.type === 'string' ? new Array<string | null>(total) : new Float64Array(total)))
  const batch = o.batch ?? 50_000
  let done = 0
  for (let start = 0; start < total; start += batch) {
    const rows = []
    for (let i = start; i < Math.min(total, start + batch); i++) rows.push({ entityId: ids[Math.floor(i / times.length)] as string, ts: times[i % times.length] as number })
    const got = await o.store.getHistoricalFeatures({ entity, rows, features: features.map((f) => f.name) })
    for (const [k, row] of got.entries()) {
      for (const [c, f] of features.entries()) {
        const v: FeatureValue = row.values[f.name] ?? null
        const col = columns[c] as DriftColumnValues
        if (col instanceof Float64Array) col[start + k] = v === null ? NaN : Number(v)
        else (col as (string | null)[])[start + k] = v === null ? null : String(v)
      }
    }
    done += rows.length
    o.onProgress?.(done, total)
  }
  return { table: Object.fromEntries(features.map((f, c) => [f.name, columns[c] as DriftColumnValues])), rows: total, entities: ids.length, times }
}

const iso = (t: number): string => new Date(t).toISOString()

/**
 * A CSV file (header row; RFC 4180 quoting) as a drift table: a column whose every non-empty cell is a number is
 * numeric, any other is categorical; empty cells and `\N` are missing. `exclude` drops id and time columns.
 */
export function tableFromCsv(text: string, exclude: readonly string[] = []): { table: Record<string, DriftColumnValues>; rows: number } {
  const records = parseCsv(text)
  const header = records.shift()
  if (header === undefined || header.length === 0) throw new DriftInputError('the CSV has no header row')
  const table: Record<string, DriftColumnValues> = {}
  for (const [c, name] of header.entries()) {
    if (exclude.includes(name)) continue
    const cells = records.map((r) => r[c] ?? '')
    const missing = (s: string): boolean => s === '' || s === '\\N'
    const numeric = cells.every((s) => missing(s) || Number.isFinite(Number(s)) || /^(nan|-?inf)$/i.test(s))
    table[name] = numeric ? Float64Array.from(cells, (s) => (missing(s) ? NaN : Number(s))) : cells.map((s) => (missing(s) ? null : s))
  }
  return { table, rows: records.length }
}

function parseCsv(text: string): string[][] {
  const out: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++ } else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') { row.push(cell); cell = '' } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      row.push(cell)
      if (row.length > 1 || row[0] !== '') out.push(row)
      row = []
      cell = ''
    } else cell += ch
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell)
    out.push(row)
  }
  return out
}
