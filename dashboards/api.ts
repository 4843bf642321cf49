/**
 * The dashboard's JSON API: the shapes the server sends and the browser reads. No imports, so the web
 * bundle and the Node server share one definition.
 */

/** `waiting`: in the fleet but no frame yet (just after start, taps report within their first telemetry period). */
export type Health = 'ok' | 'warn' | 'fault' | 'offline' | 'waiting'

export interface DeviceRow {
  deviceId: string
  venueId: string
  /** The business account owning the venue; '' for a synthetic fleet. */
  accountId: string
  venueName: string
  city: string
  lineId: number
  beverage: string
  firmware: string
  online: boolean
  health: Health
  alerts: string[]
  kegPct: number | null
  lineTempC: number | null
  rssiDbm: number | null
  lastSeen: number | null
  /** Predictive-maintenance risk (tapflow.predictions, tapflow.alerts); null before the device is first scored. */
  risk: DeviceRisk | null
}

export interface DeviceRisk {
  /** The highest failure-mode score (0–1) of the newest scoring round, and its mode; null with only an alert. */
  score: number | null
  mode: string | null
  scoredAt: number | null
  /** Modes with an open alert. */
  openAlerts: string[]
}

export interface VenueListRow {
  venueId: string
  name: string
  city: string
  type: string
  devices: number
  /** Litres poured in the last hour of data: the venues pouring now come first. */
  litresLastHour: number
}

export interface LivePour {
  deviceId: string
  venueId: string
  seq: number
  ts: number
  receivedAt: number
  beverage: string
  volumeMl: number
  kegRemainingMl: number
}

export interface LiveRates {
  /** Frames per real second into the gateway (all kinds). */
  framesPerS: number
  /** Litres poured per minute of the stack's clock. */
  litresPerMin: number
  pours: number
}

export interface LoadReportEntry {
  name: string
  modifiedAt: number
  summary: unknown
}
