import type { PipelineName } from '../pipelines/freshness.js'

export type CheckStatus = 'pass' | 'warn' | 'fail'

export interface CheckResult {
  check: string
  pipeline: PipelineName
  status: CheckStatus
  /** The measured value (count, ratio or hours, per check). */
  observed: number
  /** The limit it was held to. */
  threshold: number
  message: string
  details: Record<string, unknown>
}

/** Which days a run of checks looks at. `full` re-examines all history rather than just the window. */
export interface CheckScope {
  from: string
  to: string
  full: boolean
}

/** Freshness SLAs from the business documents, in hours. Aggregated is monthly: checked by calendar instead. */
export const FRESHNESS_SLA_HOURS: Readonly<Record<Exclude<PipelineName, 'aggregated'>, number>> = {
  profit: 24,
  growth: 7 * 24,
  engagement: 48,
}

/** Revenue must match the ledger within ±1%. */
export const REVENUE_TOLERANCE = 0.01
/** Events this late count as late data. */
export const LATE_HOURS = 48
