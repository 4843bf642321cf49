import { copyFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { errorMessage, type Clock, type Logger } from '../common/index.js'
import {
  ChampionScorer, FeatureStore, ModelNotFoundError, ModelRegistry, buildMaintenanceDataset, compareOnWindow, detectDrift, driftSummary, readFeatureWindow, writeDriftReport,
  type Database, type ReadWindow,
} from '../cloud/index.js'
import type { ModelComparison } from '../dashboards/index.js'
import type { ClickHouseClient } from '../edge-gateway/index.js'
import { readDriftReference } from './models-bootstrap-reference.js'
import { runModelChild, type ChildReady, type ChildRun } from './models-bootstrap.js'
import { writeDatasetFile } from './models-bootstrap-child.js'

const H = 3_600_000
const D = 24 * H
/** The fewest days a maintenance dataset splits into train, validation and test (see DEFAULT_BOOTSTRAP_SIZE). */
const MIN_RETRAIN_DAYS = 9

export interface DriftUpOptions {
  /** The registry's database (the business's). */
  db: Database
  /** The stack's ClickHouse: the live features. */
  client: ClickHouseClient
  dataDir: string
  /** Simulated time. */
  clock: Clock
  /** Sample each tap every this long in the current window. Default: 6 h (as `tapflow models drift`). */
  everyMs?: number
  /** A challenger trains on at most this many recent days (at least 9 must exist). Default: 14. */
  retrainDays?: number
  logger: Logger
}

export interface DriftStatus {
  /** When the latest check ran (simulated), its verdict and report. */
  at: number
  champion: string
  datasetDrift: boolean
  drifted: number
  columns: number
  html: string
  json: string
  /** Modes whose live scores drifted from the champion's scores on its training sample (prediction drift). */
  predictionDrift: string[]
  /** The challenger retrain the drift started: running, registered, or why not. */
  challenger?: string
  /** Champion and challenger on the check's window; made again when a challenger registers. Absent when it failed. */
  comparison?: ModelComparison
}

/** Prediction columns in the report: `prediction:<mode>`. */
const PREDICTION = 'prediction:'
/** Fewest live scores of a mode in the window for its prediction drift to be judged. */
const MIN_PREDICTIONS = 30

/**
 * Where the reports go: `<data-dir>/reports/drift/`, the newest also as `latest.html` and `latest.json` (the report
 * with the champion-challenger comparison on its current window, `comparison`).
 */
export function driftReportDir(dataDir: string): string {
  return join(dataDir, 'reports', 'drift')
}

/**
 * Drift on a schedule in `tapflow up` (Evidently's role): after each simulated day, the champion's reference (a
 * sample of its training rows, models-bootstrap-reference.ts) against the day's live device features, with
 * DataDriftPreset's rules. When the dataset drifts, a challenger is retrained on recent live data in a child process
 * and registered as `challenger`; nothing is promoted. After each check, and again once a challenger registers, the
 * champion and the challenger are scored on the check's window against ground truth (cloud/live's compareOnWindow).
 */
export class DriftUp implements AsyncDisposable {
  private running: Promise<void> | undefined
  private retrain: ChildRun | undefined
  private comparing: Promise<void> | undefined
  /** Writes of latest.json with the status they go with, one at a time (a check and a refresh may overlap). */
  private latest: Promise<unknown> = Promise.resolve()
  private last: DriftStatus | undefined
  private readonly log: Logger
  private warnedNoReference = -1

  constructor(private readonly o: DriftUpOptions) {
    this.log = o.logger.child({ component: 'drift' })
  }

  /** The challenger retrain a drift started, while it runs. */
  get retraining(): Promise<ChildReady> | undefined {
    return this.retrain?.done
  }

  /** The latest check, for the dashboard. */
  status(): DriftStatus | undefined {
    return this.last
  }

  /** Starts a check of the day that just closed, unless one is running; returns at once (the DAG's lane moves on). */
  dayClosed(day: string): void {
    if (this.running !== undefined) return
    const parsed = Date.parse(`${day}T00:00:00Z`)
    const to = Number.isNaN(parsed) ? this.o.clock.now() : Math.min(parsed + D, this.o.clock.now())
    this.running = this.check(to)
      .then(() => undefined, (err: unknown) => this.log.warn({ err: errorMessage(err) }, 'drift check failed; tried again after the next day'))
      .finally(() => (this.running = undefined))
  }

  /** One check over the day ending at `to`; resolves with its status (undefined when there is no champion or reference). */
  async check(to: number): Promise<DriftStatus | undefined> {
    const registry = await ModelRegistry.open({ db: this.o.db, artifactsDir: join(this.o.dataDir, 'models') })
    let champion
    try {
      champion = await registry.getVersion('maintenance@champion')
    } catch (err) {
      if (err instanceof ModelNotFoundError) return undefined
      throw err
    } finally {
      await registry.close()
    }
    const name = `maintenance@${champion.version}`
    const reference = await readDriftReference(champion.artifactDir)
    if (reference === undefined) {
      if (this.warnedNoReference !== champion.version) this.log.info({ champion: name }, 'no drift reference beside the champion (trained outside tapflow up): no drift checks')
      this.warnedNoReference = champion.version
      return undefined
    }
    const from = to - D
    const store = this.store(to)
    const ids = await store.entityIds('device')
    if (ids.length === 0) return undefined
    const current = await readFeatureWindow({ store, ids, from, to, everyMs: this.o.everyMs ?? 6 * H, features: reference.ref.featureNames })
    // Prediction drift: the champion's live scores of the window against its scores on its own training sample.
    // Each mode has its own count of live scores, so each is its own two-sample test; the dataset verdict (and the
    // retrain) stays the features'.
    const scores = await this.predictionColumns(champion.version, reference.table, from, to)
    const features = detectDrift({ reference: reference.table, current: current.table })
    const predictions = Object.keys(scores.current).flatMap((c) => detectDrift({ reference: { [c]: scores.reference[c]! }, current: { [c]: scores.current[c]! } }).columns)
    const result = { ...features, columns: [...features.columns, ...predictions] }
    const predictionDrift = predictions.filter((c) => c.drifted).map((c) => c.column.slice(PREDICTION.length))
    const iso = (t: number): string => new Date(t).toISOString()
    const dir = driftReportDir(this.o.dataDir)
    await mkdir(dir, { recursive: true })
    const out = writeDriftReport({
      result, dir,
      meta: {
        reference: `${name}'s training rows (${reference.ref.columns[0]?.length ?? 0} sampled), ${iso(reference.ref.window.from)} → ${iso(reference.ref.window.to)}`,
        current: `live device features ${iso(from)} → ${iso(to)}`,
        note: `tapflow up, after the simulated day; every tap sampled every ${(this.o.everyMs ?? 6 * H) / H} h`,
      },
    })
    const comparison = await this.compare(from, to, store, { ...current, ids })
    // A stable name for the dashboard's link: copied, so a reader never sees a half-written file.
    await copyFile(out.html, join(dir, 'latest.html'))
    const last: DriftStatus = { at: to, champion: name, datasetDrift: result.datasetDrift, drifted: result.drifted, columns: result.columns.length, html: out.html, json: out.json, predictionDrift, comparison }
    await this.serial(async () => {
      await writeJson(join(dir, 'latest.json'), { ...out.report, comparison })
      this.last = last
    })
    this.log.info({ champion: name, drift: result.datasetDrift, drifted: result.drifted, columns: result.columns.length, predictionDrift, report: out.html }, 'drift checked')
    if (result.datasetDrift) {
      this.log.warn({ summary: driftSummary(result).split('\n')[0] }, 'the live features drifted from the champion\'s training data: retraining a challenger')
      last.challenger = await this.startChallenger(to)
    }
    return last
  }

  /** After a challenger registers: the comparison on the latest check's window again, into the status and latest.json. */
  async refreshComparison(): Promise<void> {
    await this.running // a check in flight compares with the registry as it finds it
    const last = this.last
    if (last === undefined) return
    const comparison = await this.compare(last.at - D, last.at, this.store(last.at))
    if (comparison === undefined) return
    await this.serial(async () => {
      if (this.last !== last) return // a newer check made its own
      last.comparison = comparison
      const file = join(driftReportDir(this.o.dataDir), 'latest.json')
      try {
        await writeJson(file, { ...(JSON.parse(await readFile(file, 'utf8')) as object), comparison })
      } catch (err) {
        this.log.warn({ err: errorMessage(err), file }, 'could not write the comparison into the latest drift report')
      }
    })
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.latest.then(fn)
    this.latest = next.catch(() => undefined)
    return next
  }

  /**
   * `prediction:<mode>` columns: the champion's scores in tapflow.predictions over [from, to) (live scoring, cli/live-up.ts)
   * and its scores on the reference rows, for the modes with at least MIN_PREDICTIONS live scores. None without them.
   */
  private async predictionColumns(version: number, reference: Record<string, Float64Array>, from: number, to: number): Promise<{ reference: Record<string, Float64Array>; current: Record<string, Float64Array> }> {
    const rs = await this.o.client.query({
      query: `SELECT mode, groupArray(score) AS scores FROM tapflow.predictions
              WHERE model = 'maintenance' AND version = {v:UInt32} AND ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts < fromUnixTimestamp64Milli({to:Int64})
              GROUP BY mode HAVING count() >= {min:UInt32}`,
      query_params: { v: version, from, to, min: MIN_PREDICTIONS }, format: 'JSONEachRow',
    })
    const live = await rs.json<{ mode: string; scores: number[] }>()
    if (live.length === 0) return { reference: {}, current: {} }
    const registry = await ModelRegistry.open({ db: this.o.db, artifactsDir: join(this.o.dataDir, 'models') })
    try {
      const scorer = await ChampionScorer.open({ registry, model: 'maintenance' })
      try {
        // The champion moved on since the check began: its scores are not the live ones being compared.
        if (scorer.info().version !== version) return { reference: {}, current: {} }
        const names = scorer.info().features
        const rows = reference[names[0] ?? '']?.length ?? 0
        const x = new Float32Array(rows * names.length)
        names.forEach((n, j) => {
          const col = reference[n]
          for (let i = 0; i < rows; i++) x[i * names.length + j] = col?.[i] ?? Number.NaN
        })
        const byMode = await scorer.scoreRows(x, rows)
        const out = { reference: {} as Record<string, Float64Array>, current: {} as Record<string, Float64Array> }
        for (const { mode, scores } of live) {
          const ref = byMode[mode]
          if (ref === undefined) continue
          out.reference[PREDICTION + mode] = Float64Array.from(ref)
          out.current[PREDICTION + mode] = Float64Array.from(scores)
        }
        return out
      } finally {
        await scorer.close()
      }
    } finally {
      await registry.close()
    }
  }

  /** A challenger on the recent live data, trained in a child process; returns what happened, for the status. */
  private async startChallenger(to: number): Promise<string> {
    if (this.retrain !== undefined) return 'a challenger is already training'
    const rs = await this.o.client.query({ query: 'SELECT toString(toUnixTimestamp64Milli(min(ts))) AS first FROM tapflow.health', format: 'JSONEachRow' })
    const first = Number((await rs.json<{ first: string }>())[0]?.first ?? to)
    const from = Math.max(Math.floor(first / D) * D, to - (this.o.retrainDays ?? 14) * D)
    if (to - from < MIN_RETRAIN_DAYS * D) {
      const why = `not retrained: ${Math.floor((to - from) / D)} whole days of live data, ${MIN_RETRAIN_DAYS} needed`
      this.log.info(why)
      return why
    }
    const ds = await buildMaintenanceDataset({ client: this.o.client, from, to, step: 3 * H, writable: true })
    const file = join(this.o.dataDir, 'training', 'challenger-dataset.json')
    await mkdir(join(this.o.dataDir, 'training'), { recursive: true })
    await writeDatasetFile(file, ds)
    const run = runModelChild({ kind: 'challenger', dataDir: this.o.dataDir, datasetFile: file, iterations: 100 }, this.o.db.url)
    this.retrain = run
    void run.done.then(
      (r) => {
        this.log.info({ version: r.version, aliases: r.aliases, seconds: Math.round(r.seconds) }, `challenger maintenance@${r.version} registered (not promoted: tapflow models promote maintenance@challenger)`)
        if (this.last !== undefined) this.last.challenger = `maintenance@${r.version} registered as challenger`
        this.comparing = this.refreshComparison()
          .catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'champion-challenger comparison failed'))
          .finally(() => (this.comparing = undefined))
      },
      (err: unknown) => this.log.warn({ err: errorMessage(err) }, 'challenger retrain failed'),
    ).finally(() => (this.retrain = undefined))
    return `training on ${ds.rows.length} rows from ${new Date(from).toISOString().slice(0, 10)}`
  }

  /** The feature store as of `to`: simulated time may run ahead of the wall clock. */
  private store(to: number): FeatureStore {
    return new FeatureStore({ clickhouse: this.o.client, writable: true, clock: { now: () => Math.max(this.o.clock.now(), to) } })
  }

  /** Champion and challenger on (from, to]; undefined (logged) when that fails: the drift check stands without it. */
  private async compare(from: number, to: number, store: FeatureStore, window?: ReadWindow): Promise<ModelComparison | undefined> {
    const registry = await ModelRegistry.open({ db: this.o.db, artifactsDir: join(this.o.dataDir, 'models') })
    try {
      const c = await compareOnWindow({ client: this.o.client, registry, from, to, everyMs: this.o.everyMs ?? 6 * H, store, window })
      const pr = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : x.toFixed(3))
      if (c !== undefined) {
        this.log.info({ champion: c.champion.ref, challenger: c.challenger?.ref ?? null, rows: c.rows, positives: c.overall.positives, better: c.overall.better },
          `on the latest window: PR-AUC ${c.champion.ref} ${pr(c.overall.champion?.prAuc)}${c.challenger === null ? ' (no challenger)' : `, ${c.challenger.ref} ${pr(c.overall.challenger?.prAuc)}`}`)
      }
      return c
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'champion-challenger comparison failed; the drift check stands without it')
      return undefined
    } finally {
      await registry.close()
    }
  }

  async close(): Promise<void> {
    await this.retrain?.close()
    await this.running
    await this.comparing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/** Written beside and renamed over: a reader (the dashboard) never sees a half-written file. */
async function writeJson(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`
  await writeFile(tmp, JSON.stringify(value, null, 2))
  await rename(tmp, file)
}
