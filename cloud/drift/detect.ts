import { ConfigError } from '../../common/index.js'
import type { Matrix } from '../models/index.js'
import { ks2samp } from './ks.js'
import { chiSquareCounts, jensenShannonCounts, normedWassersteinSorted, std, zTest } from './stats.js'

/** Bad input to drift detection (unknown column, ragged table, a column numeric on one side only): exit 2 on the CLI. */
export class DriftInputError extends ConfigError {
  constructor(message: string) {
    super(message)
    this.name = 'DriftInputError'
  }
}

/** A column: numbers (NaN and ±Infinity are missing) or categories (null is missing). */
export type DriftColumnValues = Float64Array | readonly (string | null)[]

/** A table, columnar or a model's feature matrix with its column names. */
export type DriftTable = Readonly<Record<string, DriftColumnValues>> | { readonly matrix: Matrix; readonly names: readonly string[] }

export type StatTest = 'ks' | 'chisquare' | 'z' | 'wasserstein' | 'jensenshannon'
export type ColumnKind = 'numeric' | 'categorical' | 'binary'

export const TEST_NAMES: Readonly<Record<StatTest, string>> = {
  ks: 'K-S p-value',
  chisquare: 'chi-square p-value',
  z: 'Z-test p-value',
  wasserstein: 'Wasserstein distance (normed)',
  jensenshannon: 'Jensen-Shannon distance',
}

export interface DriftOptions {
  /** Tests (KS, chi-squared, Z) flag drift when p < this. Default: 0.05 (Evidently's). */
  pValue?: number
  /** Distances (normed Wasserstein, Jensen–Shannon) flag drift when ≥ this. Default: 0.1 (Evidently's). */
  distance?: number
  /** Columns with at most this many reference values get tests, above it distances. Default: 1,000 (Evidently's). */
  maxTestRows?: number
  /** The dataset drifts when at least this share of its columns drifts. Default: 0.5 (Evidently's drift_share). */
  driftShare?: number
  /** The model's score column: reported as prediction drift, and counted as a column. Default: none. */
  prediction?: string
  /** Numeric columns to compare as categories (codes, ids). Default: none. */
  categorical?: readonly string[]
  /** Bins per numeric chart. Default: 30. */
  bins?: number
  /** Categories per categorical chart; the rest are summed as "(other)". Default: 20. */
  maxCategories?: number
}

/** Shares of each sample per bin (numeric) or per category, for the report's chart. */
export type Distribution =
  | { kind: 'histogram'; edges: number[]; reference: number[]; current: number[] }
  | { kind: 'categories'; labels: string[]; reference: number[]; current: number[] }

export interface SampleSummary {
  /** Values compared (missing ones dropped, as Evidently does). */
  count: number
  missing: number
  unique: number
  mean?: number
  std?: number
}

export interface ColumnDrift {
  column: string
  kind: ColumnKind
  test: StatTest
  testName: string
  /** The test's statistic: KS D, chi-squared, z, or the distance itself. */
  statistic: number
  /** The test's p-value; null for the distances. */
  pValue: number | null
  /** What the threshold judges (Evidently's drift_score): the p-value for tests, the distance for distances. */
  score: number
  threshold: number
  drifted: boolean
  prediction: boolean
  reference: SampleSummary
  current: SampleSummary
  distribution: Distribution
}

export interface DriftResult {
  referenceRows: number
  currentRows: number
  columns: ColumnDrift[]
  /** Columns left out, with why (no values on one side). */
  skipped: { column: string; reason: string }[]
  drifted: number
  share: number
  driftShare: number
  datasetDrift: boolean
  /** The prediction column's drift, when `options.prediction` names one. */
  prediction: ColumnDrift | null
}

export interface DetectDriftRequest {
  reference: DriftTable
  current: DriftTable
  /** Columns to compare. Default: every column the two tables share, in the reference's order. */
  columns?: readonly string[]
  options?: DriftOptions
}

interface Resolved {
  pValue: number
  distance: number
  maxTestRows: number
  driftShare: number
  bins: number
  maxCategories: number
}

/** Evidently's DataDriftPreset defaults, column by column, then the dataset rule. */
export function detectDrift(req: DetectDriftRequest): DriftResult {
  const o = req.options ?? {}
  const cfg: Resolved = {
    pValue: o.pValue ?? 0.05, distance: o.distance ?? 0.1, maxTestRows: o.maxTestRows ?? 1000, driftShare: o.driftShare ?? 0.5,
    bins: o.bins ?? 30, maxCategories: o.maxCategories ?? 20,
  }
  if (!(cfg.driftShare > 0 && cfg.driftShare <= 1)) throw new DriftInputError(`driftShare must be in (0, 1], got ${cfg.driftShare}`)
  if (!(cfg.pValue > 0 && cfg.pValue < 1)) throw new DriftInputError(`pValue must be in (0, 1), got ${cfg.pValue}`)
  if (!(cfg.distance > 0)) throw new DriftInputError(`distance must be positive, got ${cfg.distance}`)
  const ref = columnsOf(req.reference, 'reference')
  const cur = columnsOf(req.current, 'current')
  const names = req.columns ?? [...ref.columns.keys()].filter((c) => cur.columns.has(c))
  if (names.length === 0) throw new DriftInputError('the reference and current tables share no column')
  if (o.prediction !== undefined && !names.includes(o.prediction)) throw new DriftInputError(`prediction column '${o.prediction}' is not among the compared columns`)
  const asCategories = new Set(o.categorical ?? [])
  const columns: ColumnDrift[] = []
  const skipped: { column: string; reason: string }[] = []
  for (const name of names) {
    const r = ref.columns.get(name)
    const c = cur.columns.get(name)
    if (r === undefined || c === undefined) throw new DriftInputError(`column '${name}' is not in the ${r === undefined ? 'reference' : 'current'} table`)
    if (r instanceof Float64Array !== c instanceof Float64Array) throw new DriftInputError(`column '${name}' is numeric in one table and categorical in the other`)
    const drift = compareColumn(name, r, c, asCategories.has(name), cfg)
    if (typeof drift === 'string') skipped.push({ column: name, reason: drift })
    else columns.push({ ...drift, prediction: name === o.prediction })
  }
  const drifted = columns.filter((d) => d.drifted).length
  const share = columns.length === 0 ? 0 : drifted / columns.length
  return {
    referenceRows: ref.rows, currentRows: cur.rows, columns, skipped, drifted, share, driftShare: cfg.driftShare,
    datasetDrift: columns.length > 0 && share >= cfg.driftShare,
    prediction: columns.find((d) => d.prediction) ?? null,
  }
}

function isMatrixTable(t: DriftTable): t is { matrix: Matrix; names: readonly string[] } {
  const m = (t as { matrix?: unknown }).matrix
  return typeof m === 'object' && m !== null && 'values' in m && 'cols' in m && Array.isArray((t as { names?: unknown }).names)
}

function columnsOf(t: DriftTable, side: string): { rows: number; columns: Map<string, DriftColumnValues> } {
  const columns = new Map<string, DriftColumnValues>()
  if (isMatrixTable(t)) {
    const { matrix: m, names } = t
    if (names.length !== m.cols) throw new DriftInputError(`${side}: ${names.length} names for a matrix of ${m.cols} columns`)
    for (const [ci, name] of names.entries()) {
      const col = new Float64Array(m.rows)
      for (let r = 0; r < m.rows; r++) col[r] = m.values[r * m.cols + ci] as number
      columns.set(name, col)
    }
    return { rows: m.rows, columns }
  }
  let rows: number | undefined
  for (const [name, col] of Object.entries(t as Record<string, DriftColumnValues>)) {
    if (rows !== undefined && col.length !== rows) throw new DriftInputError(`${side}: column '${name}' has ${col.length} rows, others ${rows}`)
    rows = col.length
    columns.set(name, col)
  }
  return { rows: rows ?? 0, columns }
}

/** One column's verdict, or why it was skipped. */
function compareColumn(name: string, r: DriftColumnValues, c: DriftColumnValues, asCategories: boolean, cfg: Resolved): Omit<ColumnDrift, 'prediction'> | string {
  if (r instanceof Float64Array && c instanceof Float64Array) {
    const rs = present(r)
    const cs = present(c)
    if (rs.length === 0 || cs.length === 0) return `no values in the ${rs.length === 0 ? 'reference' : 'current'} sample`
    const unique = distinctUpTo(rs, cs, 6)
    if (unique > 5 && !asCategories) return compareNumeric(name, rs, cs, r.length, c.length, cfg)
    return compareCategories(name, countNumbers(rs), countNumbers(cs), r.length, c.length, (a, b) => Number(a) - Number(b), cfg)
  }
  const rc = countStrings(r as readonly (string | null)[])
  const cc = countStrings(c as readonly (string | null)[])
  if (rc.size === 0 || cc.size === 0) return `no values in the ${rc.size === 0 ? 'reference' : 'current'} sample`
  return compareCategories(name, rc, cc, r.length, c.length, (a, b) => (a < b ? -1 : a > b ? 1 : 0), cfg)
}

function compareNumeric(name: string, rs: Float64Array, cs: Float64Array, rRows: number, cRows: number, cfg: Resolved): Omit<ColumnDrift, 'prediction'> {
  let test: StatTest
  let statistic: number
  let pValue: number | null
  if (rs.length <= cfg.maxTestRows) {
    test = 'ks'
    const ks = ks2samp(rs, cs)
    statistic = ks.statistic
    pValue = ks.pValue
  } else {
    test = 'wasserstein'
    statistic = normedWassersteinSorted(rs, cs)
    pValue = null
  }
  return verdict(name, 'numeric', test, statistic, pValue, cfg, summarize(rs, rRows), summarize(cs, cRows), histogram(rs, cs, cfg.bins))
}

function compareCategories(
  name: string, rc: Map<string, number>, cc: Map<string, number>, rRows: number, cRows: number,
  order: (a: string, b: string) => number, cfg: Resolved,
): Omit<ColumnDrift, 'prediction'> {
  const unique = new Set([...rc.keys(), ...cc.keys()]).size
  const kind: ColumnKind = unique <= 2 ? 'binary' : 'categorical'
  const nRef = total(rc)
  let test: StatTest
  let statistic: number
  let pValue: number | null
  if (nRef <= cfg.maxTestRows) {
    const t = unique > 2 ? chiSquareCounts(rc, cc) : zTest(rc, cc, order)
    test = unique > 2 ? 'chisquare' : 'z'
    statistic = t.statistic
    pValue = t.pValue
  } else {
    test = 'jensenshannon'
    statistic = jensenShannonCounts(rc, cc)
    pValue = null
  }
  const sum = (m: Map<string, number>, rows: number): SampleSummary => ({ count: total(m), missing: rows - total(m), unique: m.size })
  return verdict(name, kind, test, statistic, pValue, cfg, sum(rc, rRows), sum(cc, cRows), categories(rc, cc, order, cfg.maxCategories))
}

function verdict(
  column: string, kind: ColumnKind, test: StatTest, statistic: number, pValue: number | null, cfg: Resolved,
  reference: SampleSummary, current: SampleSummary, distribution: Distribution,
): Omit<ColumnDrift, 'prediction'> {
  const score = pValue ?? statistic
  const threshold = pValue === null ? cfg.distance : cfg.pValue
  const drifted = pValue === null ? statistic >= threshold : pValue < threshold
  return { column, kind, test, testName: TEST_NAMES[test], statistic, pValue, score, threshold, drifted, reference, current, distribution }
}

/** The finite values, sorted ascending (Evidently drops NaN and ±Infinity before testing). */
function present(x: Float64Array): Float64Array {
  let n = 0
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i] as number)) n++
  if (n === x.length) return x.slice().sort()
  const out = new Float64Array(n)
  let j = 0
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number
    if (Number.isFinite(v)) out[j++] = v
  }
  return out.sort()
}

/** Distinct values across two sorted samples, counting no further than `limit`. */
function distinctUpTo(a: Float64Array, b: Float64Array, limit: number): number {
  const seen = new Set<number>()
  for (const s of [a, b]) {
    let prev = NaN
    for (const v of s) {
      if (v === prev) continue
      prev = v
      seen.add(v)
      if (seen.size >= limit) return seen.size
    }
  }
  return seen.size
}

function distinctSorted(x: Float64Array): number {
  let n = 0
  for (let i = 0; i < x.length; i++) if (i === 0 || x[i] !== x[i - 1]) n++
  return n
}

function countNumbers(x: Float64Array): Map<string, number> {
  const m = new Map<string, number>()
  for (const v of x) {
    const k = String(v)
    m.set(k, (m.get(k) ?? 0) + 1)
  }
  return m
}

function countStrings(x: readonly (string | null)[]): Map<string, number> {
  const m = new Map<string, number>()
  for (const v of x) if (v !== null && v !== undefined) m.set(v, (m.get(v) ?? 0) + 1)
  return m
}

const total = (m: Map<string, number>): number => {
  let s = 0
  for (const v of m.values()) s += v
  return s
}

function summarize(sorted: Float64Array, rows: number): SampleSummary {
  let mean = 0
  for (const v of sorted) mean += v
  mean /= sorted.length
  return { count: sorted.length, missing: rows - sorted.length, unique: distinctSorted(sorted), mean, std: std(sorted) }
}

/** Shares per equal-width bin over both samples' range. */
function histogram(rs: Float64Array, cs: Float64Array, bins: number): Distribution {
  const lo = Math.min(rs[0] as number, cs[0] as number)
  const hi = Math.max(rs[rs.length - 1] as number, cs[cs.length - 1] as number)
  const n = hi > lo ? bins : 1
  const width = hi > lo ? (hi - lo) / n : 1
  const edges = Array.from({ length: n + 1 }, (_, i) => (i === n ? hi : lo + i * width))
  const shares = (s: Float64Array): number[] => {
    const counts = new Array<number>(n).fill(0)
    for (const v of s) {
      const i = Math.min(n - 1, Math.floor((v - lo) / width))
      counts[i] = (counts[i] as number) + 1
    }
    return counts.map((k) => k / s.length)
  }
  return { kind: 'histogram', edges, reference: shares(rs), current: shares(cs) }
}

/** Shares per category, the most common (in both samples together) first, the tail summed. */
function categories(rc: Map<string, number>, cc: Map<string, number>, order: (a: string, b: string) => number, max: number): Distribution {
  const nr = total(rc)
  const nc = total(cc)
  const keys = [...new Set([...rc.keys(), ...cc.keys()])]
  const weight = (k: string): number => (rc.get(k) ?? 0) / nr + (cc.get(k) ?? 0) / nc
  keys.sort((a, b) => weight(b) - weight(a) || order(a, b))
  const shown = keys.slice(0, max)
  const rest = keys.slice(max)
  const shares = (m: Map<string, number>, n: number): number[] => {
    const out = shown.map((k) => (m.get(k) ?? 0) / n)
    if (rest.length > 0) out.push(rest.reduce((s, k) => s + (m.get(k) ?? 0), 0) / n)
    return out
  }
  return { kind: 'categories', labels: rest.length > 0 ? [...shown, '(other)'] : shown, reference: shares(rc, nr), current: shares(cc, nc) }
}
