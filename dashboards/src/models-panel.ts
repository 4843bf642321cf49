import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ServerResponse } from 'node:http'
import { HttpError, type Params } from './params.js'

/**
 * The "Models" view: champion and challenger (the registry), live scoring's state, its precision and recall against
 * ground truth so far (cloud/live's live report), drift and the newest drift report, and champion against challenger
 * on the latest drift check's window. `tapflow up` supplies the model side through `DashboardServer.setModelsSource`
 * (dashboards/ does not import cloud/); drift reports and the comparison (in `latest.json`) are read from disk.
 */

export interface ModelCard {
  name: string
  version: number
  createdAt: string
  /** The registry's metrics per target (e.g. pr_auc, precision, recall, lead_median_h). */
  metrics: Record<string, unknown>
}

/** One mode's (or all modes') live record, as `tapflow models live-report` prints it. */
export interface LiveModeRow {
  mode: string
  caught: number
  /** Caught, and repaired before the failure time: the failure never happened. */
  prevented: number
  missed: number
  /** Failure still ahead, no alert yet. */
  pending: number
  falseAlarms: number
  /** Alerts opened after the failure, while the tap was down: neither a catch nor a false alarm. */
  late: number
  /** Of the alerts that matched a failure or none: the share that matched one. Null with no alerts. */
  precision: number | null
  /** (caught + prevented) / (caught + prevented + missed). Null with no failures due. */
  recall: number | null
  /** Lead times of caught and prevented failures, hours: median, min, max; null when none. */
  leadHours: { median: number; min: number; max: number } | null
}

export interface OpenAlertView {
  deviceId: string
  mode: string
  risk: number
  threshold: number
  openedAt: number
  expectedFailureAt: number | null
  ticketId: string
  topFeatures: { feature: string; value: number; contribution: number }[]
}

export interface ModelsState {
  champion: ModelCard | null
  challenger: ModelCard | null
  scoring: {
    state: 'running' | 'no-champion' | 'off'
    /** One line for the banner, e.g. why nothing is scored. */
    note: string
    everyMs: number | null
    lastRound: { at: number; devices: number; opened: number; resolved: number; ms: number } | null
  }
  live: { asOf: number; from: number; modes: LiveModeRow[]; total: LiveModeRow } | null
  openAlerts: OpenAlertView[]
}

/** One model on the comparison window, for one mode or pooled over modes. Null metrics: nothing to measure. */
export interface WindowScore {
  /** Average precision over the labelled rows; null when the window has no positive. */
  prAuc: number | null
  /** At the model's own alert threshold; null with no positive, or when it flagged no row. */
  precision: number | null
  /** At the model's own alert threshold; null with no positive. */
  recall: number | null
  /** The threshold its evaluation chose; null when it chose none (the mode alerts on nothing). Pooled: null. */
  threshold: number | null
  /** Rows at or above the threshold. */
  flagged: number
}

/** Champion and challenger on one mode (or `all`) of the window. */
export interface ModeComparison {
  mode: string
  /** Rows labelled for the mode (rows excluded by the label rule left out), and of those the positives. */
  rows: number
  positives: number
  /** Null when the model does not score the mode. */
  champion: WindowScore | null
  challenger: WindowScore | null
  /** The higher PR-AUC; null without a challenger or without a PR-AUC for both. */
  better: 'champion' | 'challenger' | 'tie' | null
}

/** `maintenance@champion` against `maintenance@challenger` on the latest live window, labelled from ground truth. */
export interface ModelComparison {
  /** The window (from, to], ms; each tap sampled every `everyMs`, ending at `to`. */
  window: { from: number; to: number; everyMs: number }
  /** Window rows (taps × sample times) and taps. */
  rows: number
  entities: number
  /** The label rule's horizon (the champion's training horizon): positive when a failure falls in (ts, ts + H]. */
  horizonHours: number
  champion: { ref: string; version: number }
  /** Null when there is no challenger, or it is the champion's version (promoted). */
  challenger: { ref: string; version: number } | null
  modes: ModeComparison[]
  /** Pooled over the modes both models score: one ranking for PR-AUC, summed counts for precision and recall. */
  overall: ModeComparison
}

export interface ModelsSource {
  state(): Promise<ModelsState>
}

export interface DriftSummary {
  generatedAt: string
  datasetDrift: boolean
  drifted: number
  columns: number
  share: number
  /** Drifted columns, most drifted first (up to 10). */
  driftedColumns: string[]
  file: string
  /** Where the dashboard serves the HTML report. */
  url: string
}

const OFF: ModelsState = {
  champion: null, challenger: null, openAlerts: [], live: null,
  scoring: { state: 'off', note: 'live scoring runs in tapflow up', everyMs: null, lastRound: null },
}

export const DRIFT_REPORT_PATH = '/api/models/drift-report'

/** What `/api/models` answers. */
export type ModelsView = ModelsState & { drift: DriftSummary | null; comparison: ModelComparison | null }

/** `/api/models`: everything the view shows. */
export async function models(src: ModelsSource | undefined, dirs: readonly string[], p: Params): Promise<ModelsView> {
  p.only()
  return { ...(src === undefined ? OFF : await src.state()), drift: newestDrift(dirs), comparison: latestComparison(dirs) }
}

/** The champion-challenger comparison `tapflow up` keeps in `latest.json` beside its drift reports (the first found). */
export function latestComparison(dirs: readonly string[]): ModelComparison | null {
  for (const dir of dirs) {
    const file = join(dir, 'latest.json')
    if (!existsSync(file)) continue
    try {
      const c = (JSON.parse(readFileSync(file, 'utf8')) as { comparison?: ModelComparison }).comparison
      if (c !== undefined) return c
    } catch {
      // not ours, or unreadable: look further
    }
  }
  return null
}

/** The newest `drift-<stamp>.json` in any of `dirs` (its stamp sorts by time), with its HTML beside it. */
export function newestDrift(dirs: readonly string[]): DriftSummary | null {
  let best: { file: string; name: string } | undefined
  for (const dir of dirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) continue
    for (const name of readdirSync(dir)) {
      if (/^drift-\d{8}T\d{6}Z\.json$/.test(name) && (best === undefined || name > best.name)) best = { file: join(dir, name), name }
    }
  }
  if (best === undefined) return null
  try {
    const r = JSON.parse(readFileSync(best.file, 'utf8')) as { generatedAt: string; datasetDrift: boolean; drifted: number; share: number; columns: { column: string; drifted: boolean; score: number }[] }
    return {
      generatedAt: r.generatedAt, datasetDrift: r.datasetDrift, drifted: r.drifted, columns: r.columns.length, share: r.share,
      driftedColumns: r.columns.filter((c) => c.drifted).sort((a, b) => b.score - a.score).slice(0, 10).map((c) => c.column), file: best.file, url: DRIFT_REPORT_PATH,
    }
  } catch {
    return null // a report being written, or not ours
  }
}

/** The newest drift report's HTML (self-contained: its charts are inline SVG). */
export function serveDriftReport(dirs: readonly string[], res: ServerResponse): void {
  const d = newestDrift(dirs)
  const html = d?.file.replace(/\.json$/, '.html')
  if (html === undefined || !existsSync(html)) throw new HttpError(404, 'no drift report yet: run `tapflow models drift`')
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' })
  createReadStream(html).pipe(res)
}
