import { ConfigError, errorMessage, silentLogger, type Logger } from '../../../common/index.js'
import { DeviceCommand, GROUND_TRUTH_TOPIC, GroundTruth, type FrameKind, type GroundTruthInit } from '../../../proto/index.js'
import { Scheduler } from '../clock/scheduler.js'
import type { SimClock } from '../clock/sim-clock.js'
import { TapDevice } from '../device/tap-device.js'
import { DEFAULT_INTERVALS, type DevicePorts, type DeviceSpec, type Frame, type TelemetryIntervals, type VenueSpec } from '../device/types.js'
import { LocalTime } from '../device/venue.js'
import { FaultInjector, type FirmwareCatalogue } from '../profiles/index.js'
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
  /** Failure profiles put on devices at start (e.g. from a manifest). Default: none. */
  profiles?: readonly ProfileAssignment[]
  /**
   * Each device's last seq before this run. A tap keeps its frame counter in flash, so after a restart it goes on
   * from there instead of repeating seqs the gateway would take for duplicates. Default: none (every tap starts at 1).
   */
  resumeSeq?: ReadonlyMap<string, number>
  /** Firmware releases and the bugs they carry. Default: the built-in catalogue. */
  firmware?: FirmwareCatalogue
  logger?: Logger
}

export interface ProfileAssignment {
  deviceId: string
  profile: string
  /** Raw parameters: numbers or durations ('6h'). Validated on assignment. */
  params: Readonly<Record<string, unknown>>
  /** Where the assignment came from, for error messages, e.g. `profiles[2]`. */
  where?: string
}

/** Something that happened to a device, for FleetService.StreamEvents. */
export interface FleetEventInfo {
  tsMs: number
  kind: 'command_acked' | 'profile_applied' | 'profiles_cleared' | 'firmware_changed' | 'command_rejected'
  deviceId: string
  detail: string
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
  /** Puts faults on devices and records ground truth. */
  readonly injector: FaultInjector
  /** Ground-truth records published so far. */
  groundTruth = 0
  /** The issuer of the command being carried out, stamped on the ground truth it causes. */
  private actor = ''
  private readonly byId: Map<string, TapDevice>
  private readonly listeners = new Set<(e: FleetEventInfo) => void>()
  private closed = false
  /** What every device is plugged into: the shared scheduler, and a wire to the transport. */
  private readonly ports: DevicePorts
  /** Set once running: installing a tap boots it on the same scheduler and output. */
  private boot: ((d: TapDevice, at: number) => void) | undefined
  private readonly retired = new Set<string>()

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
      // One LocalTime per time zone: its Intl formatter is heavy and its offset cache is shared.
      let zone = zones.get(venue.timeZone)
      if (zone === undefined) zones.set(venue.timeZone, (zone = new LocalTime(venue.timeZone)))
      return new TapDevice(spec, venue, zone, opts.fleet.seed, opts.intervals ?? DEFAULT_INTERVALS)
    })
    this.stats = { frames: { pour: 0, temp: 0, health: 0 }, devices: this.devices.length, simTime: opts.clock.now() }
    this.byId = new Map(this.devices.map((d) => [d.deviceId, d]))
    for (const d of this.devices) d.resumeSeq(opts.resumeSeq?.get(d.deviceId) ?? 0)
    this.injector = new FaultInjector((r) => this.publishGroundTruth(r), opts.firmware)
    this.scheduler = new Scheduler({
      clock: opts.clock,
      until: opts.until,
      gate: () => opts.transport.backpressure(),
    })
    this.ports = {
      schedule: (at, key, task) => this.scheduler.schedule(at, key, task),
      wire: (frame) => this.transmit(frame),
    }
  }

  get specs(): DeviceSpec[] {
    return this.devices.map((d) => d.spec)
  }

  get framesSent(): number {
    const f = this.stats.frames
    return f.pour + f.temp + f.health
  }

  /** The whole fleet this simulator runs a shard of. */
  get fleet(): FleetSpec {
    return this.opts.fleet
  }

  /** A device of this shard by id. */
  device(deviceId: string): TapDevice | undefined {
    return this.byId.get(deviceId)
  }

  /** Listens to device events (acknowledged commands, applied profiles); returns the unsubscribe. */
  onEvent(fn: (e: FleetEventInfo) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  /** Connects every device, then runs until stopped, `until` or `maxFrames`. Resolves when the run ends. */
  async start(): Promise<void> {
    this.opts.transport.onCommand?.((id, payload) => this.command(id, payload))
    await this.opts.transport.connect(this.specs)
    // Connecting thousands of sessions takes real time; simulated time starts once they are up.
    this.opts.clock.anchor()
    const t0 = this.opts.clock.now()
    for (const d of this.devices) d.start(t0, this.ports)
    for (const d of this.devices) this.injector.boot(d, t0)
    this.boot = (d, at) => {
      d.start(at, this.ports)
      this.injector.boot(d, at)
    }
    for (const a of this.opts.profiles ?? []) {
      const d = this.byId.get(a.deviceId)
      if (d !== undefined) this.injector.assign(d, a.profile, a.params, 'manifest', t0, a.where)
    }
    this.log.info({ devices: this.devices.length, speed: this.opts.clock.speed }, 'simulation running')
    this.running = this.scheduler.run()
    await this.running
  }

  /** A frame off a device's uplink: onto the transport, counted, and the run ends at `maxFrames`. */
  private transmit(frame: Frame): void {
    const max = this.opts.maxFrames ?? Number.POSITIVE_INFINITY
    if (this.framesSent >= max || (this.retired.size > 0 && this.retired.has(frame.deviceId))) return
    this.opts.transport.publish(frame)
    this.stats.frames[frame.kind]++
    this.stats.simTime = frame.tsMs
    this.opts.onFrame?.(frame)
    if (this.framesSent >= max) this.scheduler.stop()
  }

  /** Taps installed on the running fleet: they connect, then boot at the current simulated time. */
  async install(specs: readonly DeviceSpec[], venues: readonly VenueSpec[]): Promise<TapDevice[]> {
    for (const v of venues) if (!this.opts.fleet.venues.some((x) => x.venueId === v.venueId)) this.opts.fleet.venues.push(v)
    const fresh = specs.filter((d) => !this.byId.has(d.deviceId))
    await this.opts.transport.connect(fresh)
    const all = new Map(this.opts.fleet.venues.map((v) => [v.venueId, v]))
    return fresh.map((spec) => {
      const venue = all.get(spec.venueId)
      if (venue === undefined) throw new ConfigError(`device ${spec.deviceId} names unknown venue ${spec.venueId}`)
      const d = new TapDevice(spec, venue, new LocalTime(venue.timeZone), this.opts.fleet.seed, this.opts.intervals ?? DEFAULT_INTERVALS)
      this.opts.fleet.devices.push(spec)
      this.devices.push(d)
      this.byId.set(d.deviceId, d)
      this.stats.devices = this.devices.length
      this.boot?.(d, this.opts.clock.now())
      return d
    })
  }

  /** Taps taken out of service: they publish nothing more and leave the fleet. */
  retire(deviceIds: readonly string[]): void {
    for (const id of deviceIds) {
      if (!this.byId.delete(id)) continue
      this.retired.add(id)
      const i = this.devices.findIndex((d) => d.deviceId === id)
      if (i >= 0) this.devices.splice(i, 1)
    }
    this.stats.devices = this.devices.length
  }

  /**
   * One command from a device's …/cmd topic, carried out at the current simulated time. The device
   * confirms it with a health frame; a command it cannot carry out is reported and dropped.
   */
  command(deviceId: string, payload: Uint8Array): void {
    const d = this.byId.get(deviceId)
    if (d === undefined) return
    const t = this.opts.clock.now()
    let cmd: DeviceCommand
    try {
      cmd = DeviceCommand.decode(payload)
      this.actor = cmd.issued_by
      if (cmd.flash) {
        const from = d.firmware
        if (!cmd.flash.firmware) throw new Error('flash command without a firmware version')
        this.injector.flash(d, cmd.flash.firmware, t, cmd.command_id)
        this.event({ tsMs: t, kind: 'firmware_changed', deviceId, detail: `${from} -> ${d.firmware} (reboot ${d.rebootCount})` })
      } else if (cmd.set_profile) {
        const f = this.injector.assign(d, cmd.set_profile.profile ?? '', cmd.set_profile.params ?? {}, 'command', t)
        d.confirmCommand(t, cmd.command_id)
        this.event({ tsMs: t, kind: 'profile_applied', deviceId, detail: `${f.profile.name} onset ${new Date(f.onsetMs).toISOString()} failure ${new Date(f.failureMs).toISOString()}` })
      } else if (cmd.clear_profiles) {
        const gone = this.injector.clear(d, t, (f) => !f.source.startsWith('firmware:'))
        d.confirmCommand(t, cmd.command_id)
        this.event({ tsMs: t, kind: 'profiles_cleared', deviceId, detail: gone.map((f) => f.profile.name).join(',') })
      } else {
        throw new Error('command has no action')
      }
    } catch (err) {
      this.log.warn({ device: deviceId, err: errorMessage(err) }, 'command rejected')
      this.event({ tsMs: t, kind: 'command_rejected', deviceId, detail: errorMessage(err) })
      return
    } finally {
      this.actor = ''
    }
    this.event({ tsMs: t, kind: 'command_acked', deviceId, detail: cmd.command_id })
  }

  private event(e: FleetEventInfo): void {
    for (const fn of this.listeners) fn(e)
  }

  private publishGroundTruth(r: GroundTruthInit): void {
    this.groundTruth++
    this.opts.transport.publishRecord?.(GROUND_TRUTH_TOPIC, GroundTruth.encode({ ...r, actor: this.actor }).finish())
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
