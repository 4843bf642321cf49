import { status } from '@grpc/grpc-js'
import { ConfigError, errorMessage, silentLogger, type Logger } from '../../../common/index.js'
import type { DeviceCommandInit } from '../../../proto/index.js'
import type { TapDevice } from '../device/tap-device.js'
import type { DeviceSpec, VenueSpec } from '../device/types.js'
import { parseManifest, rolloutDevices, selectRule, type FleetManifest } from '../fleet/manifest.js'
import { matches, parseSelector, pickShare } from '../fleet/selector.js'
import type { FleetEventInfo, Simulator } from '../fleet/simulator.js'
import { FaultState, getProfile, resolveParams } from '../profiles/index.js'
import type { CommandBus } from './command-bus.js'
import { FleetError } from './errors.js'

export interface FleetControlOptions {
  /** The running simulator whose devices are controlled. */
  sim: Simulator
  /** Where commands go. */
  bus: CommandBus
  /** Simulated clock, for event times. */
  now: () => number
  logger?: Logger
}

export interface FlashRequest {
  selector: string
  firmware: string
  /** Share of the selected devices, 0 < p <= 100. Default: 100. */
  percent?: number
  /** Share of the selected devices per stage. Default: all in one stage. */
  stagePercent?: number
  /** Real time between stages, ms. Default: 0. */
  stageIntervalMs?: number
  /** Who asks (a tool identity such as tool:cli.alice), recorded in events and ground truth. Default: ''. */
  actor?: string
}

export interface DeviceStateInfo {
  device_id: string
  venue_id: string
  firmware: string
  reboot_count: number
  last_seq: number
  profiles: string[]
  pending_command_id: string
  last_ack_ms: number
}

/** `actor`: the tool identity behind a command, its stages and the device's response to it ('' otherwise). */
export type FleetEvent = { tsMs: number; kind: string; deviceId: string; detail: string; actor: string }

const FIRMWARE = /^[A-Za-z0-9._+-]{1,32}$/

/**
 * Fleet control behind FleetService: resolves selectors against the live fleet, validates everything
 * before sending anything (a bad request leaves the fleet untouched), then sends commands to each device.
 */
export class FleetControl {
  private readonly sim: Simulator
  private readonly bus: CommandBus
  private readonly log: Logger
  /** Device → [command id, actor] of the command it has not acknowledged yet. */
  private readonly pending = new Map<string, [string, string]>()
  private readonly lastAck = new Map<string, number>()
  private readonly listeners = new Set<(e: FleetEvent) => void>()
  private readonly unsubscribe: () => void
  private readonly timers = new Set<NodeJS.Timeout>()
  private nextId = 0

  constructor(private readonly opts: FleetControlOptions) {
    this.sim = opts.sim
    this.bus = opts.bus
    this.log = (opts.logger ?? silentLogger).child({ component: 'fleet-control' })
    this.unsubscribe = opts.sim.onEvent((e) => this.onDeviceEvent(e))
  }

  /** Devices the selector picks, judged on their live firmware. Throws on a bad selector or an empty match. */
  select(selector: string): TapDevice[] {
    const sel = parseSelector(selector || 'all')
    const venues = new Map(this.sim.fleet.venues.map((v) => [v.venueId, v]))
    const picked = this.sim.devices.filter((d) => matches(sel, d.spec, venues.get(d.spec.venueId)!, d.firmware))
    if (picked.length === 0) throw new FleetError(`selector '${sel.text}' matches no devices`, status.NOT_FOUND)
    return picked
  }

  async flash(req: FlashRequest): Promise<{ rolloutId: string; deviceIds: string[]; stages: number }> {
    if (!FIRMWARE.test(req.firmware)) throw new ConfigError(`firmware: expected a version like 1.5.1, got '${req.firmware}'`)
    const percent = req.percent || 100
    const stagePercent = req.stagePercent || percent
    if (!(percent > 0 && percent <= 100)) throw new ConfigError(`percent: expected 0 < p <= 100, got ${percent}`)
    if (!(stagePercent > 0 && stagePercent <= 100)) throw new ConfigError(`stage percent: expected 0 < p <= 100, got ${stagePercent}`)
    const chosen = pickShare(this.select(req.selector).map((d) => ({ deviceId: d.deviceId, d })), percent, `rollout:${req.firmware}`).map((x) => x.d)
    const rolloutId = this.id('rollout')
    const actor = req.actor ?? ''
    const perStage = Math.max(1, Math.ceil((chosen.length * stagePercent) / percent))
    const stages: TapDevice[][] = []
    for (let i = 0; i < chosen.length; i += perStage) stages.push(chosen.slice(i, i + perStage))
    const run = async (i: number): Promise<void> => {
      const stage = stages[i]!
      this.emit({ tsMs: this.opts.now(), kind: 'stage', deviceId: '', detail: `${rolloutId} stage ${i + 1}/${stages.length}: ${stage.length} devices -> ${req.firmware}`, actor })
      await this.sendAll(stage, actor, (id) => ({ command_id: id, issued_ms: Date.now(), flash: { firmware: req.firmware } }))
      if (i + 1 < stages.length) {
        const t = setTimeout(() => {
          this.timers.delete(t)
          run(i + 1).catch((err: unknown) => this.log.error({ rolloutId, err: errorMessage(err) }, 'rollout stage failed'))
        }, req.stageIntervalMs ?? 0)
        this.timers.add(t)
      }
    }
    await run(0)
    this.log.info({ rolloutId, firmware: req.firmware, devices: chosen.length, stages: stages.length, actor }, 'firmware rollout started')
    return { rolloutId, deviceIds: chosen.map((d) => d.deviceId), stages: stages.length }
  }

  async setProfile(selector: string, profileName: string, raw: Readonly<Record<string, string | number>>, actor = ''): Promise<string[]> {
    const params = resolveParams(getProfile(profileName), raw, 'params')
    const devices = this.select(selector)
    this.log.info({ profile: profileName, devices: devices.length, actor }, 'failure profile set')
    await this.sendAll(devices, actor, (id) => ({ command_id: id, issued_ms: Date.now(), set_profile: { profile: profileName, params } }))
    return devices.map((d) => d.deviceId)
  }

  /** Applies a manifest's rollouts and profiles to the running fleet; validates all of it first. */
  async applyManifest(yaml: string, source: string, actor = ''): Promise<{ flashed: number; profiles: number; notes: string[] }> {
    const m: FleetManifest = parseManifest(yaml, source || 'manifest')
    const notes: string[] = []
    const live = new Set(this.sim.devices.map((d) => d.deviceId))
    if (m.fleet.devices.some((d) => !live.has(d.deviceId)) || m.seed !== this.sim.fleet.seed) {
      notes.push(`manifest '${m.name}' describes a different fleet layout or seed; selectors are applied to the running fleet`)
    }
    const fleet = { ...this.sim.fleet, devices: this.sim.devices.map((d) => d.spec) }
    const firmwareOf = (spec: { deviceId: string }): string => this.sim.device(spec.deviceId)!.firmware
    const rollouts = m.rollouts.map((r) => ({ r, devices: rolloutDevices(fleet, r, firmwareOf) }))
    const profiles = m.profiles.map((p) => ({ p, devices: selectRule(fleet, p, firmwareOf) }))
    for (const { r, devices } of rollouts) if (devices.length === 0) throw new FleetError(`${r.where}.select: '${r.select.text}' matches no running devices`, status.NOT_FOUND)
    for (const { p, devices } of profiles) if (devices.length === 0) throw new FleetError(`${p.where}: matches no running devices`, status.NOT_FOUND)
    let flashed = 0
    for (const { r, devices } of rollouts) {
      const ids = devices.map((d) => d.deviceId)
      const res = await this.flash({ selector: `device=${ids.join(',')}`, firmware: r.firmware, percent: 100, stagePercent: (r.stagePercent / r.percent) * 100, stageIntervalMs: r.stageIntervalMs, actor })
      flashed += res.deviceIds.length
    }
    let assigned = 0
    for (const { p, devices } of profiles) {
      const params = resolveParams(getProfile(p.profile), p.params, `${p.where}.params`)
      await this.sendAll(devices.map((d) => this.sim.device(d.deviceId)!), actor, (id) => ({ command_id: id, issued_ms: Date.now(), set_profile: { profile: p.profile, params } }))
      assigned += devices.length
    }
    return { flashed, profiles: assigned, notes }
  }

  /** The business's own actions on the fleet (installs, decommissions, repairs) are recorded under this actor. */
  static readonly BUSINESS_ACTOR = 'business'

  /** Install taps on the running fleet (a new customer, an expansion); in-process only. */
  async install(devices: readonly DeviceSpec[], venues: readonly VenueSpec[]): Promise<string[]> {
    const added = await this.sim.install(devices, venues)
    for (const d of added) this.emit({ tsMs: this.opts.now(), kind: 'installed', deviceId: d.deviceId, detail: `${d.spec.venueId} line ${d.spec.lineId}`, actor: FleetControl.BUSINESS_ACTOR })
    return added.map((d) => d.deviceId)
  }

  /** Take taps out of service (their account churned, or contracted): they stop publishing. In-process only. */
  decommission(deviceIds: readonly string[]): void {
    this.sim.retire(deviceIds)
    for (const id of deviceIds) this.emit({ tsMs: this.opts.now(), kind: 'decommissioned', deviceId: id, detail: '', actor: FleetControl.BUSINESS_ACTOR })
  }

  /** A technician fixed these taps: clear their failure profiles (firmware bugs stay until a flash). */
  async repair(deviceIds: readonly string[]): Promise<void> {
    const devices = deviceIds.map((id) => this.sim.device(id)).filter((d): d is TapDevice => d !== undefined)
    await this.sendAll(devices, FleetControl.BUSINESS_ACTOR, (id) => ({ command_id: id, issued_ms: Date.now(), clear_profiles: {} }))
  }

  list(selector: string): { devices: DeviceStateInfo[]; simTimeMs: number } {
    const t = this.opts.now()
    const devices = (selector === '' ? this.sim.devices : this.select(selector)).map((d) => ({
      device_id: d.deviceId,
      venue_id: d.spec.venueId,
      firmware: d.firmware,
      reboot_count: d.rebootCount,
      last_seq: d.lastSeq,
      profiles: d.faults.active.map((f) => `${f.profile.name}@${FaultState.severity(f, t).toFixed(2)}`),
      pending_command_id: this.pending.get(d.deviceId)?.[0] ?? '',
      last_ack_ms: this.lastAck.get(d.deviceId) ?? 0,
    }))
    return { devices, simTimeMs: t }
  }

  onEvent(fn: (e: FleetEvent) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    this.unsubscribe()
    this.listeners.clear()
  }

  private async sendAll(devices: readonly TapDevice[], actor: string, make: (commandId: string) => DeviceCommandInit): Promise<void> {
    await Promise.all(devices.map(async (d) => {
      const cmd = { ...make(this.id('cmd')), issued_by: actor }
      this.pending.set(d.deviceId, [cmd.command_id!, actor])
      this.emit({ tsMs: this.opts.now(), kind: 'command_sent', deviceId: d.deviceId, detail: describe(cmd), actor })
      await this.bus.send(d.spec.venueId, d.deviceId, cmd)
    }))
  }

  /** A device's response carries the actor of the command it answers (the device reports it before its ack). */
  private onDeviceEvent(e: FleetEventInfo): void {
    const pending = this.pending.get(e.deviceId)
    if (e.kind === 'command_acked' && pending?.[0] === e.detail) {
      this.pending.delete(e.deviceId)
      this.lastAck.set(e.deviceId, e.tsMs)
    }
    this.emit({ ...e, actor: pending?.[1] ?? '' })
  }

  private emit(e: FleetEvent): void {
    for (const fn of this.listeners) fn(e)
  }

  private id(kind: string): string {
    return `${kind}-${Date.now().toString(36)}-${++this.nextId}`
  }
}

function describe(cmd: DeviceCommandInit): string {
  if (cmd.flash) return `${cmd.command_id} flash ${cmd.flash.firmware}`
  if (cmd.set_profile) return `${cmd.command_id} set-profile ${cmd.set_profile.profile}`
  return `${cmd.command_id} clear-profiles`
}
