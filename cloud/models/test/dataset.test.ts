import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyRetention, migrate, openClickHouse, type ClickHouseHandle } from '../../../edge-gateway/index.js'
import { parseManifest } from '../../../firmware-sim/index.js'
import {
  TARGET_MODES, buildMaintenanceDataset, countFailures, labelColumn, maintenanceRows, simulateHistory, summarizeHistory, writeMaintenanceDataset,
  type Dataset, type HistoryResult, type HistorySummary,
} from '../index.js'

const H = 3_600_000
const D = 24 * H
const TO = Date.UTC(2026, 9, 4)
const FROM = TO - 3 * D

/** 20 taps; half of them lose cooling about twice a day, a quarter leak; failures follow onset by 8 h. */
const MANIFEST = `
name: test-training
seed: 7
generate: { taps: 20, taps_per_venue: [4, 6] }
profiles:
  - profile: cooling-failure
    share: 0.5
    params: { hazard_per_day: 2, progression: 8h, max_rise_c: 10 }
  - profile: valve-leak
    share: 0.25
    params: { hazard_per_day: 1, progression: 8h }
  - profile: duplicates
    share: 0.1
    params: { share: 0.05, progression: 0 }
`

describe('training history → maintenance dataset (3 days × 20 taps)', () => {
  let dir: string
  let ch: ClickHouseHandle
  let history: HistoryResult
  let summary: HistorySummary
  let ds: Dataset

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tapflow-models-'))
    ch = openClickHouse({ path: join(dir, 'clickhouse') })
    await migrate(ch.client)
    // Fixed dates: the default 90-day TTL (by wall clock) would age them out.
    await applyRetention(ch.client, { rawDays: 0, rollupDays: 0, deadLetterDays: 0 })
    history = await simulateHistory({ clickhouse: ch, manifest: parseManifest(MANIFEST, 'test'), from: FROM, to: TO, repairAfterMs: 2 * H })
    summary = await summarizeHistory(ch.client, FROM, TO)
    ds = await buildMaintenanceDataset({ client: ch.client, from: FROM, to: TO, step: H, horizon: 6 * H, warmup: 0 })
  })
  afterAll(async () => {
    await ch?.client.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('lands the telemetry and the ground truth through the gateway, repairs failed taps and re-arms their hazards', () => {
    expect(history.devices).toBe(20)
    expect(summary.devices).toBe(20)
    for (const t of ['pours', 'temperatures', 'health']) expect(summary.rows[t], t).toBeGreaterThan(1000)
    // Telemetry frames, one row each (the duplicates profile's copies are dropped by the gateway).
    expect(summary.rows.pours! + summary.rows.temperatures! + summary.rows.health!).toBeLessThanOrEqual(history.frames)
    const cooling = countFailures(summary.records, TO).find((c) => c.mode === 'cooling-failure')
    expect(cooling?.failed).toBeGreaterThan(5)
    expect(history.repairs).toBeGreaterThan(0)
    // A repair clears the failed record and assigns the profile again: more records than the 10 initial ones.
    expect(cooling?.injected).toBeGreaterThan(10)
    expect(summary.records.filter((r) => r.clearedMs !== null)).toHaveLength(history.repairs)
  })

  it('has the shared Dataset shape: rows × features, a target per mode, lineage and window', () => {
    expect(ds.name).toBe('maintenance')
    expect(ds.x.cols).toBe(ds.featureNames.length)
    expect(ds.x.rows).toBe(ds.rows.length)
    expect(ds.x.values).toHaveLength(ds.x.rows * ds.x.cols)
    expect(ds.featureNames).toContain('line_temp_avg_1h')
    expect(Object.keys(ds.targets)).toEqual([...TARGET_MODES])
    for (const col of Object.values(ds.targets)) expect(col).toHaveLength(ds.rows.length)
    expect(ds.featureViews.map((v) => v.name)).toEqual(expect.arrayContaining(['device_pours', 'device_temperatures', 'device_health', 'device_gaps']))
    expect(ds.window).toMatchObject({ from: FROM, to: TO })
    // Features are filled: the line temperature is known on nearly every row.
    const c = ds.featureNames.indexOf('line_temp_avg_1h')
    const known = ds.rows.filter((_, r) => !Number.isNaN(ds.x.values[r * ds.x.cols + c]!)).length
    expect(known / ds.rows.length).toBeGreaterThan(0.95)
  })

  it('labels the injected failures, and positive rows show the fault (warmer lines before a cooling failure)', () => {
    const y = ds.targets['cooling-failure']!
    const positives = [...y].filter((v) => v === 1).length
    expect(positives).toBeGreaterThan(10)
    expect([...y].filter((v) => Number.isNaN(v)).length).toBeGreaterThan(0)
    expect([...ds.targets['valve-leak']!].filter((v) => v === 1).length).toBeGreaterThan(0)
    const c = ds.featureNames.indexOf('line_temp_avg_1h')
    const mean = (label: number): number => {
      const xs = ds.rows.flatMap((_, r) => (y[r] === label && !Number.isNaN(ds.x.values[r * ds.x.cols + c]!) ? [ds.x.values[r * ds.x.cols + c]!] : []))
      return xs.reduce((a, b) => a + b, 0) / xs.length
    }
    expect(mean(1)).toBeGreaterThan(mean(0) + 1)
  })

  it('splits by day: every device-day is in one slice, train before validation before test', () => {
    const sliceOf = new Map<string, string>()
    for (const r of ds.rows) {
      const key = `${r.entity}:${Math.floor(r.ts / D)}`
      expect(sliceOf.get(key) ?? r.split, key).toBe(r.split)
      sliceOf.set(key, r.split)
    }
    const last = (s: string): number => Math.max(...ds.rows.filter((r) => r.split === s).map((r) => r.ts))
    const first = (s: string): number => Math.min(...ds.rows.filter((r) => r.split === s).map((r) => r.ts))
    expect(last('train')).toBeLessThan(first('validation'))
    expect(last('validation')).toBeLessThan(first('test'))
    // The purge: no row's horizon (6 h) reaches into the next slice.
    expect(last('train') + 6 * H).toBeLessThan(first('validation'))
  })

  it('exports CSV with the split, label_<mode> columns and the features, one line per row', async () => {
    const rows = await maintenanceRows({ client: ch.client, from: FROM, to: TO, step: 6 * H, horizon: 6 * H, warmup: 0 })
    const file = join(dir, 'maintenance.csv')
    const out = createWriteStream(file)
    await writeMaintenanceDataset({ client: ch.client, rows, format: 'CSVWithNames', out })
    out.end()
    await finished(out)
    const lines = readFileSync(file, 'utf8').trim().split('\n')
    const header = lines[0]!.split(',').map((h) => h.replaceAll('"', ''))
    expect(header.slice(0, 3)).toEqual(['device_id', 'event_timestamp', 'split'])
    expect(header).toEqual(expect.arrayContaining([...TARGET_MODES.map(labelColumn), 'line_temp_avg_1h']))
    expect(lines).toHaveLength(rows.rows.length + 1)
    const li = header.indexOf(labelColumn('cooling-failure'))
    const exported = lines.slice(1).filter((l) => l.split(',')[li] === '1').length
    expect(exported).toBe([...rows.targets['cooling-failure']!].filter((v) => v === 1).length)
  })
})
