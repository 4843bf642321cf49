import { ConfigError, silentLogger, type Logger } from '../../../common/index.js'
import type { FrameKind } from '../../../proto/index.js'
import { Scheduler } from '../clock/scheduler.js'
import type { SimClock } from '../clock/sim-clock.js'
import { TapDevice } from '../device/tap-device.js'
import { DEFAULT_INTERVALS, type DeviceSpec, type Frame, type TelemetryIntervals } from '../device/types.js'
import { LocalTime } from '../device/venue.js'
import type { FleetSpec } from './fleet-builder.js'
import type { DeviceTransport } from './transport.js'

export interface Shard {
  index: number
  count: number
}

export interface SimulatorOptions {
  fleet: FleetSpec
  clock: SimClock
  transport: DeviceTransport
  /** Run this shard of the fleet only (devices whose index % count === index). Default: 0/1, all of it. */
  shard?: Shard
  /** Stop after this simulated time. Default: run until stopped. */
  until?: number
  /** Stop after this many frames. Default: unlimited. */
  maxFrames?: number
  intervals?: TelemetryIntervals
  /** Called for every frame after it is handed to the transport. */
  onFrame?: (frame: Frame) => void
  logger?: Logger
}

export interface SimulatorStats {
  frames: Record<FrameKind, number>
  devices: number
  /** Simulated time reached. */
  simTime: number
}

/** Parses "i/N" as given to --shard. */
export function parseShard(s: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(s)
  const index = Number(m?.[1])
  const count = Number(m?.[2])
  if (!m || count < 1 || index >= count) throw new ConfigError(`--shard must look like i/N with 0 <= i < N, got '${s}'`)
  return { index, count }
}

/** Runs a fleet of TapDevice actors on one shared scheduler and hands their frames to a transport. */
export class Simulator {
  readonly devices: TapDevice[]
  readonly stats: SimulatorStats
  private readonly opts: SimulatorOptions
  private readonly scheduler: Scheduler
  private readonly log: Logger
  private running: Promise<void> | undefined
  private closed = false

  constructor(opts: SimulatorOptions) {
    this.opts = opts
    this.log = (opts.logger ?? silentLogger).child({ component: 'sim' })
    const shard = opts.shard ?? { index: 0, count: 1 }
    const zones = new Map<string, LocalTime>()
    const venues = new Map(opts.fleet.venues.map((v) => [v.venueId, v]))
    const mine = opts.fleet.devices.filter((d) => d.index % shard.count === shard.index)
    this.devices = mine.map((spec) => {
      const venue = venues.get(spec.venueId)
      if (venue === undefined) throw new ConfigError(`device ${spec.deviceId} names unknown venue ${spec.venueId}`)
      let zone = zones.get(venue.venueId)
      if (zone === undefined) zones.set(venue.venueId, (zone = new LocalTime(venue.timeZone)))
      return new TapDevice(spec, venue, zone, opts.fleet.seed, opts.intervals ?? DEFAULT_INTERVALS)
    })
    this.stats = { frames: { pour: 0, temp: 0, health: 0 }, devices: this.devices.length, simTime: opts.clock.now() }
    this.scheduler = new Scheduler({
      clock: opts.clock,
      until: opts.until,
      gate: () => opts.transport.backpressure(),
    })
  }

  get specs(): DeviceSpec[] {
    return this.devices.map((d) => d.spec)
  }

  get framesSent(): number {
    const f = this.stats.frames
    return f.pour + f.temp + f.health
  }

  /** Connects every device, then runs until stopped, `until` or `maxFrames`. Resolves when the run ends. */
  async start(): Promise<void> {
    await this.opts.transport.connect(this.specs)
    const t0 = this.opts.clock.now()
    const max = this.opts.maxFrames ?? Number.POSITIVE_INFINITY
    const emit = (frame: Frame): void => {
      if (this.framesSent >= max) return
      this.opts.transport.publish(frame)
      this.stats.frames[frame.kind]++
      this.stats.simTime = frame.tsMs
      this.opts.onFrame?.(frame)
      if (this.framesSent >= max) this.scheduler.stop()
    }
    const schedule = (at: number, key: number, task: (at: number) => void): void => this.scheduler.schedule(at, key, task)
    for (const d of this.devices) d.start(t0, schedule, emit)
    this.log.info({ devices: this.devices.length, speed: this.opts.clock.speed }, 'simulation running')
    this.running = this.scheduler.run()
    await this.running
  }

  /** Stops producing frames; frames already sent stay tracked by the transport. */
  stop(): void {
    this.scheduler.stop()
  }

  /** Stops, waits for every frame to be acknowledged, and ends the device sessions. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.stop()
    await this.running
    await this.opts.transport.close()
    this.log.info({ frames: this.stats.frames }, 'simulation stopped')
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
