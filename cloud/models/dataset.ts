import { randomUUID } from 'node:crypto'
import type { Writable } from 'node:stream'
import type { ClickHouseClient, DataFormat } from '@clickhouse/client'
import { ConfigError } from '../../common/index.js'
import { asClickHouseError } from '../../edge-gateway/index.js'
import { FeatureStore, Registry, type ResolvedFeature } from '../features/index.js'
import { readGroundTruth } from './history/ground-truth.js'
import { DEFAULT_HORIZON_MS, TARGET_MODES, labelPoints, type GroundTruthRecord } from './labels.js'
import type { Dataset, DatasetRow, SplitName } from './types.js'

const H = 3_600_000
const D = 24 * H

/** Shares of the days for validation and test; train gets the rest (earliest days). */
export interface SplitShares {
  validation: number
  test: number
}

export const DEFAULT_SPLIT: SplitShares = { validation: 0.2, test: 0.2 }

export interface MaintenanceDatasetOptions {
  client: ClickHouseClient
  /** The history's time range, ms since the epoch; prediction times fall in [from + warmup, to). */
  from: number
  to: number
  /** Time between prediction times per device. Default: 1 h. */
  step?: number
  /** Label horizon H. Default: 24 h. */
  horizon?: number
  /** Failure modes to label. Default: TARGET_MODES (labels.ts). */
  modes?: readonly string[]
  /** Day shares of the time split. Default: 60/20/20. */
  split?: SplitShares
  /** History before the first prediction time, so that 24 h windows are full. Default: 24 h. */
  warmup?: number
  /** Source database. Default: `tapflow`. */
  database?: string
  /** Whether ClickHouse accepts writes (entity rows go to a Memory table). Default: true. */
  writable?: boolean
  /** Called after each group of devices has its features: rows done, rows in all. Default: none. */
  onProgress?: (done: number, total: number) => void
}

/**
 * The device features a maintenance model reads: every numeric device feature of the feature store except the
 * device_profile view (a dimension stamped with the wall-clock time it was written, so it is absent as of a
 * simulated past) and what derives from it. String features (firmware, beverage) are left to the catalogue.
 */
export function maintenanceFeatures(reg: Registry = new Registry()): ResolvedFeature[] {
  const profile = new Set(reg.view('device_profile').features.map((f) => f.name))
  const fromProfile = (f: ResolvedFeature): boolean =>
    profile.has(f.name) || (f.view === 'derived' && (reg.derived.find((d) => d.name === f.name)?.inputs.some((i) => profile.has(i)) ?? false))
  return reg.list('device').filter((f) => f.type !== 'string' && !fromProfile(f))
}

/** Entity rows, labels and split of a maintenance dataset: everything but the feature values. */
export interface MaintenanceRows {
  rows: DatasetRow[]
  targets: Record<string, Float32Array>
  features: ResolvedFeature[]
  featureViews: Dataset['featureViews']
  window: Dataset['window']
}

/**
 * One row per device × prediction time, labelled per mode from ground truth and assigned to a slice by day:
 * the earliest days train, then validation, then test, so every device-day is in one slice. Rows whose horizon
 * reaches into the next slice are dropped (a purge), so no failure labels rows on both sides of a boundary.
 */
export async function maintenanceRows(o: MaintenanceDatasetOptions): Promise<MaintenanceRows> {
  const step = o.step ?? H
  const horizon = o.horizon ?? DEFAULT_HORIZON_MS
  const start = o.from + (o.warmup ?? D)
  const modes = o.modes ?? TARGET_MODES
  if (!(step > 0)) throw new ConfigError(`step must be positive, got ${step} ms`)
  if (!(horizon > 0)) throw new ConfigError(`horizon must be positive, got ${horizon} ms`)
  if (modes.length === 0) throw new ConfigError('no failure modes to label')
  // Days are UTC calendar days: a device-day is (device, the UTC date of the prediction time).
  const dayOf = (t: number): number => Math.floor(t / D) - Math.floor(start / D)
  const days = dayOf(o.to - 1) + 1
  const slices = splitDays(days, o.split ?? DEFAULT_SPLIT)
  const devices = await reportingDevices(o.client, o.database ?? 'tapflow', o.from, o.to)
  const times: { ts: number; split: SplitName }[] = []
  for (let ts = start; ts < o.to; ts += step) {
    const day = dayOf(ts)
    const split = slices[day]!
    // The purge: the horizon must end in the row's own slice (or after the history).
    const end = dayOf(ts + horizon)
    if (end < days && slices[end] !== split) continue
    times.push({ ts, split })
  }
  const rows: DatasetRow[] = devices.flatMap((entity) => times.map((t) => ({ entity, ts: t.ts, split: t.split })))
  const records: GroundTruthRecord[] = await readGroundTruth(o.client, 0, o.to)
  const labels = labelPoints(records, rows, { horizonMs: horizon, modes })
  const reg = new Registry()
  const features = maintenanceFeatures(reg)
  return {
    rows,
    targets: labels,
    features,
    featureViews: reg.viewsFor(features).map((v) => ({ name: v.name, version: v.version })),
    window: { from: o.from, to: o.to, source: `clickhouse:${o.database ?? 'tapflow'} ${new Date(o.from).toISOString()}..${new Date(o.to).toISOString()}` },
  }
}

/** The maintenance dataset with point-in-time device features from the feature store's offline retrieval. */
export async function buildMaintenanceDataset(o: MaintenanceDatasetOptions): Promise<Dataset> {
  const m = await maintenanceRows(o)
  const store = new FeatureStore({ clickhouse: o.client, database: o.database, writable: o.writable, clock: { now: () => Math.max(Date.now(), o.to) } })
  const names = m.features.map((f) => f.name)
  const cols = names.length
  const values = new Float32Array(m.rows.length * cols)
  // Per device group, so each point-in-time query reads a bounded slice of the sources.
  const perDevice = new Map<string, number[]>()
  m.rows.forEach((r, i) => perDevice.get(r.entity)?.push(i) ?? perDevice.set(r.entity, [i]))
  const groups = chunk([...perDevice.keys()], Math.max(1, Math.floor(200_000 / Math.max(1, m.rows.length / Math.max(1, perDevice.size)))))
  let done = 0
  for (const g of groups) {
    const idx = g.flatMap((d) => perDevice.get(d) ?? [])
    const got = await store.getHistoricalFeatures({ entity: 'device', rows: idx.map((i) => ({ entityId: m.rows[i]!.entity, ts: m.rows[i]!.ts })), features: names })
    got.forEach((row, k) => {
      const base = idx[k]! * cols
      for (let c = 0; c < cols; c++) {
        const v = row.values[names[c]!]
        values[base + c] = typeof v === 'number' ? v : Number.NaN
      }
    })
    o.onProgress?.((done += idx.length), m.rows.length)
  }
  return {
    name: 'maintenance',
    featureNames: names,
    x: { rows: m.rows.length, cols, values },
    targets: m.targets,
    rows: m.rows,
    featureViews: m.featureViews,
    window: m.window,
  }
}

/** Slice of each day index: train first, then validation, then test; each of the three gets at least one day. */
export function splitDays(days: number, shares: SplitShares = DEFAULT_SPLIT): SplitName[] {
  if (!(shares.validation >= 0 && shares.test >= 0 && shares.validation + shares.test < 1)) {
    throw new ConfigError(`split shares must be >= 0 and leave some days to train, got validation ${shares.validation}, test ${shares.test}`)
  }
  const test = Math.max(1, Math.round(days * shares.test))
  const validation = Math.max(1, Math.round(days * shares.validation))
  const train = days - test - validation
  if (train < 1) throw new ConfigError(`${days} day(s) of history after the warm-up is too short for a train/validation/test split by day: need at least 3`)
  return Array.from({ length: days }, (_, d): SplitName => (d < train ? 'train' : d < train + validation ? 'validation' : 'test'))
}

/** Devices that sent health frames in [from, to): the fleet as ClickHouse saw it. */
async function reportingDevices(client: ClickHouseClient, db: string, from: number, to: number): Promise<string[]> {
  try {
    const rs = await client.query({
      query: `SELECT DISTINCT device_id FROM ${db}.health WHERE ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts < fromUnixTimestamp64Milli({to:Int64}) ORDER BY device_id`,
      query_params: { from, to },
      format: 'JSONEachRow',
    })
    return (await rs.json<{ device_id: string }>()).map((r) => r.device_id)
  } catch (err) {
    throw asClickHouseError(err, 'listing devices')
  }
}

function chunk<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n))
  return out
}

/**
 * Writes a maintenance dataset with the feature store's writer: the entity rows, split and labels go into a
 * scratch table, and the point-in-time export streams them with their features as CSV, Parquet, … Label columns
 * are `label_<mode>` (hyphens as underscores), NaN where a row is excluded for that mode.
 */
export async function writeMaintenanceDataset(o: { client: ClickHouseClient; rows: MaintenanceRows; format: DataFormat; out: Writable; database?: string }): Promise<void> {
  const store = new FeatureStore({ clickhouse: o.client, database: o.database, clock: { now: () => Math.max(Date.now(), o.rows.window.to) } })
  const modes = Object.keys(o.rows.targets)
  const cols = modes.map((m) => labelColumn(m))
  const table = `${SCRATCH_DB}.maintenance_rows_${randomUUID().replaceAll('-', '')}`
  try {
    await o.client.command({ query: `CREATE DATABASE IF NOT EXISTS ${SCRATCH_DB}` })
    await o.client.command({ query: `CREATE TABLE ${table} (device_id String, ts Int64, split String${cols.map((c) => `, ${c} Nullable(Float32)`).join('')}) ENGINE = Memory` })
    const values = o.rows.rows.map((r, i) => {
      const row: Record<string, unknown> = { device_id: r.entity, ts: r.ts, split: r.split }
      modes.forEach((m, k) => {
        const v = o.rows.targets[m]![i]!
        row[cols[k]!] = Number.isNaN(v) ? null : v
      })
      return row
    })
    await o.client.insert({ table, values, format: 'JSONEachRow' })
    const query = `SELECT device_id, ts, split${cols.map((c) => `, ifNull(${c}, nan) AS ${c}`).join('')} FROM ${table}`
    await store.exportHistoricalFeatures({ entity: 'device', rows: await store.labelRows(query, 'device_id'), features: o.rows.features.map((f) => f.name), format: o.format, out: o.out })
  } finally {
    await o.client.command({ query: `DROP TABLE IF EXISTS ${table}` })
  }
}

/** The export's column for a mode's label. */
export const labelColumn = (mode: string): string => `label_${mode.replaceAll('-', '_')}`

const SCRATCH_DB = 'tapflow_features'
