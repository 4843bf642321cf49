import type { FrameKind } from '../../../proto/index.js'
import type { VenueType } from './venue.js'

export interface VenueSpec {
  venueId: string
  name: string
  /** The bar's owning business: TapFlow's customer. */
  customer: string
  city: string
  country: string
  timeZone: string
  type: VenueType
  /** Region key into the serving-size and keg tables. */
  region: string
  /** Bar air temperature baseline, °C. */
  ambientC: number
  /** Cold-room set point, °C. */
  setpointC: number
  /** Local opening hours [open, close), whole hours; close may pass midnight. Default: the venue type's curve. */
  openHours?: readonly [number, number]
}

export interface DeviceSpec {
  deviceId: string
  /** Global index in the fleet; fixes the tie-break order of simultaneous events across shards. */
  index: number
  venueId: string
  lineId: number
  beverageId: string
  kegSizeMl: number
  /** Serving sizes in ml with weights. */
  servings: readonly (readonly [number, number])[]
  firmware: string
  /** Multiplies the venue's demand; lognormal around 1. */
  popularity: number
  /** Mean pours per tap per day at popularity 1. */
  poursPerDay: number
  rssiBaselineDbm: number
}

export interface Frame {
  kind: FrameKind
  deviceId: string
  seq: number
  tsMs: number
  topic: string
  payload: Uint8Array
}

/** Wakes `task` at simulated time `at`; `key` orders tasks due at the same moment, the same on every run. */
export type Schedule = (at: number, key: number, task: (at: number) => void) => void

/** The network past a device: takes each frame that leaves it, after the uplink's faults. */
export type Wire = (frame: Frame) => void

/** What a device is plugged into when it boots: the scheduler that wakes it and the wire its frames leave on. */
export interface DevicePorts {
  schedule: Schedule
  wire: Wire
}

export interface TelemetryIntervals {
  /** Temperature reading period, ms. Default: 5 min. */
  temperatureMs: number
  /** Health frame period, ms. Default: 15 min. */
  healthMs: number
}

export const DEFAULT_INTERVALS: TelemetryIntervals = { temperatureMs: 300_000, healthMs: 900_000 }
