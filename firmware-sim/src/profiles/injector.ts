import type { GroundTruthInit } from '../../../proto/index.js'
import type { ActiveFault, FaultState } from './fault-state.js'
import { BUILTIN_FIRMWARE, type FirmwareCatalogue } from './firmware.js'
import { getProfile, resolveParams } from './registry.js'

const DAY = 86_400_000

export type GroundTruthSink = (record: GroundTruthInit) => void

/**
 * What the injector needs of a device (a TapDevice is one). An interface, so that profiles/ does not import
 * device/: the device depends on its faults, not the other way round.
 */
export interface FaultTarget {
  readonly deviceId: string
  readonly spec: { readonly venueId: string }
  readonly faults: FaultState
  /** Firmware it runs now; its release's bugs apply at boot. */
  readonly firmware: string
  /** Confirms command `commandId` with a health frame, rebooting into `flashTo` first when given. */
  confirmCommand(t: number, commandId: string, flashTo?: string): void
}

/**
 * Puts faults on devices and keeps the books: every injection, clearance and firmware-carried bug is
 * reported to `record` as ground truth, with the onset and failure times the device will follow.
 */
export class FaultInjector {
  constructor(
    private readonly record: GroundTruthSink,
    private readonly firmware: FirmwareCatalogue = BUILTIN_FIRMWARE,
  ) {}

  /** Validates and assigns a profile; throws ConfigError (naming `where`) before touching the device. */
  assign(device: FaultTarget, profileName: string, raw: Readonly<Record<string, unknown>>, source: string, at: number, where = 'profile'): ActiveFault {
    const profile = getProfile(profileName, where)
    const params = resolveParams(profile, raw, `${where}.params`)
    let onsetMs = at + params.onset!
    // A hazard draws the onset from the device's own fault stream, so it is the same on every run.
    if (params.hazard_per_day! > 0) onsetMs += Math.round(device.faults.rng.exp(DAY / params.hazard_per_day!))
    const fault: ActiveFault = {
      recordId: device.faults.nextRecordId(device.deviceId),
      profile,
      params,
      onsetMs,
      failureMs: onsetMs + params.progression!,
      source,
      recordedMs: at,
    }
    device.faults.add(fault)
    this.record(this.toRecord(device, fault, at, 0))
    return fault
  }

  /** Removes the faults `match` picks (all by default), recording when each was cleared. */
  clear(device: FaultTarget, at: number, match: (f: ActiveFault) => boolean = () => true): ActiveFault[] {
    const gone = device.faults.remove(match)
    for (const f of gone) this.record(this.toRecord(device, f, at, at))
    return gone
  }

  /** Bugs the device's current firmware carries, applied at boot. */
  boot(device: FaultTarget, at: number): void {
    for (const [i, bug] of (this.firmware.get(device.firmware)?.faults ?? []).entries()) {
      this.assign(device, bug.profile, bug.params, `firmware:${device.firmware}`, at, `firmware['${device.firmware}'].faults[${i}]`)
    }
  }

  /** Reboots into `version`: the old firmware's bugs go, the new one's arrive; the health frame confirms the command. */
  flash(device: FaultTarget, version: string, at: number, commandId: string): void {
    this.clear(device, at, (f) => f.source.startsWith('firmware:'))
    device.confirmCommand(at, commandId, version)
    this.boot(device, at)
  }

  private toRecord(device: FaultTarget, f: ActiveFault, at: number, clearedMs: number): GroundTruthInit {
    return {
      record_id: f.recordId,
      device_id: device.deviceId,
      venue_id: device.spec.venueId,
      mode: f.profile.name,
      onset_ms: f.onsetMs,
      failure_ms: f.failureMs,
      parameters_json: JSON.stringify(f.params),
      source: f.source,
      recorded_ms: at,
      cleared_ms: clearedMs,
    }
  }
}
