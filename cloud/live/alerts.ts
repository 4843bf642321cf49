import type { Contribution } from './attribution.js'

/** One alert: a device at risk of one failure mode, from when it opened until it resolved (a row of `tapflow.alerts`). */
export interface Alert {
  alertId: string
  deviceId: string
  venueId: string
  accountId: string
  mode: string
  model: string
  version: number
  /** The latest risk (probability) while open; the last one seen when resolved. */
  risk: number
  threshold: number
  /** Simulated ms. */
  openedAt: number
  expectedFailureAt: number | null
  topFeatures: Contribution[]
  status: 'open' | 'resolved'
  resolvedAt: number | null
  /** '' while open; 'risk-fell' or 'repaired'. */
  resolution: '' | 'risk-fell' | 'repaired'
  ticketId: string
  updatedAt: number
}

/** One device's score for one mode in a scoring round: the alert's identity and risk fields, as the round saw them. */
export interface Observation extends Pick<Alert, 'deviceId' | 'venueId' | 'accountId' | 'mode' | 'model' | 'version' | 'risk' | 'threshold' | 'expectedFailureAt'> {
  /** Simulated ms of the round. */
  at: number
  /** Computed only when needed (an alert opens or its risk moves): attribution is the round's dearest part. */
  topFeatures: () => Contribution[]
}

export interface AlertChange {
  kind: 'opened' | 'updated' | 'resolved'
  alert: Alert
}

export interface AlertBookOptions {
  /** An open alert resolves when its risk falls below threshold × this (hysteresis: no flapping at the line). Default: 0.8. */
  resolveRatio?: number
  /** An open alert is rewritten when its risk moved by at least this since the last write. Default: 0.05. */
  updateDelta?: number
  /**
   * Rounds in a row the risk must stay below the line before the alert resolves (hysteresis in time: tree models score
   * in steps, and a keg's compressor cycle can dip one round below). Default: 3.
   */
  resolveRounds?: number
}

const key = (deviceId: string, mode: string): string => `${deviceId}\u0000${mode}`

/**
 * Alerts per device and mode. Pure: observations in, changes out (the caller writes them). An alert opens when the
 * risk reaches the threshold and the pair is armed; while it is open, further rounds only update it (deduplicated).
 * It resolves when the risk stays below the hysteresis line for `resolveRounds` rounds, or when the tap is repaired. After a repair the pair is
 * disarmed until its risk is seen below the line again: the features still carry the fault's last day, and that must
 * not reopen the alert the technician just closed.
 */
export class AlertBook {
  private readonly resolveRatio: number
  private readonly updateDelta: number
  private readonly resolveRounds: number
  /** Rounds in a row below the line, per open alert. */
  private readonly below = new Map<string, number>()
  private readonly openAlerts = new Map<string, Alert>()
  /** Pairs that may not open until their risk falls below the line. */
  private readonly disarmed = new Set<string>()
  /** Risk at the last write, per open alert. */
  private readonly written = new Map<string, number>()

  constructor(o: AlertBookOptions = {}) {
    this.resolveRatio = o.resolveRatio ?? 0.8
    this.updateDelta = o.updateDelta ?? 0.05
    this.resolveRounds = o.resolveRounds ?? 3
    if (!(Number.isInteger(this.resolveRounds) && this.resolveRounds >= 1)) throw new RangeError(`resolveRounds must be a positive integer, got ${this.resolveRounds}`)
    if (!(this.resolveRatio > 0 && this.resolveRatio <= 1)) throw new RangeError(`resolveRatio must be in (0, 1], got ${this.resolveRatio}`)
  }

  /** Alerts still open after a restart (read from `tapflow.alerts`): they go on rather than open again. */
  restore(alerts: readonly Alert[]): void {
    for (const a of alerts) {
      if (a.status !== 'open') continue
      this.openAlerts.set(key(a.deviceId, a.mode), { ...a })
      this.written.set(a.alertId, a.risk)
    }
  }

  open(): Alert[] {
    return [...this.openAlerts.values()].map((a) => ({ ...a }))
  }

  observe(o: Observation): AlertChange | undefined {
    const k = key(o.deviceId, o.mode)
    const current = this.openAlerts.get(k)
    const line = o.threshold * this.resolveRatio
    if (current === undefined) {
      if (o.risk < line) this.disarmed.delete(k)
      if (o.risk < o.threshold || this.disarmed.has(k)) return undefined
      const alert: Alert = {
        alertId: `${o.deviceId}:${o.mode}:${o.at}`, deviceId: o.deviceId, venueId: o.venueId, accountId: o.accountId, mode: o.mode,
        model: o.model, version: o.version, risk: o.risk, threshold: o.threshold, openedAt: o.at, expectedFailureAt: o.expectedFailureAt,
        topFeatures: o.topFeatures(), status: 'open', resolvedAt: null, resolution: '', ticketId: '', updatedAt: o.at,
      }
      this.openAlerts.set(k, alert)
      this.written.set(alert.alertId, o.risk)
      return { kind: 'opened', alert: { ...alert } }
    }
    current.risk = o.risk
    const below = o.risk < line ? (this.below.get(current.alertId) ?? 0) + 1 : 0
    this.below.set(current.alertId, below)
    if (below >= this.resolveRounds) return this.resolve(k, current, o.at, 'risk-fell')
    if (Math.abs(o.risk - (this.written.get(current.alertId) ?? 0)) < this.updateDelta) return undefined
    // Model, version and threshold stay those the alert opened with: a promotion does not rewrite history.
    current.topFeatures = o.topFeatures()
    current.updatedAt = Math.max(current.updatedAt + 1, o.at)
    this.written.set(current.alertId, o.risk)
    return { kind: 'updated', alert: { ...current } }
  }

  /** The tap was repaired at `at` (its fault cleared): every open alert of the device resolves. */
  repaired(deviceId: string, at: number): AlertChange[] {
    const out: AlertChange[] = []
    for (const [k, a] of this.openAlerts) if (a.deviceId === deviceId && at >= a.openedAt) out.push(this.resolve(k, a, at, 'repaired'))
    return out
  }

  /** Record the maintenance ticket an open alert opened. */
  linkTicket(alertId: string, ticketId: string, at: number): AlertChange | undefined {
    const a = [...this.openAlerts.values()].find((x) => x.alertId === alertId)
    if (a === undefined || a.ticketId === ticketId) return undefined
    a.ticketId = ticketId
    a.updatedAt = Math.max(a.updatedAt + 1, at)
    return { kind: 'updated', alert: { ...a } }
  }

  private resolve(k: string, a: Alert, at: number, resolution: 'risk-fell' | 'repaired'): AlertChange {
    this.openAlerts.delete(k)
    this.written.delete(a.alertId)
    this.below.delete(a.alertId)
    if (resolution === 'repaired') this.disarmed.add(k)
    const done: Alert = { ...a, status: 'resolved', resolvedAt: at, resolution, updatedAt: Math.max(a.updatedAt + 1, at) }
    return { kind: 'resolved', alert: done }
  }
}
