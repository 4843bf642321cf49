import { silentLogger, type Logger } from '../../../common/index.js'
import { writeFleetDimensions } from '../../../dashboards/index.js'
import { Gateway, type ClickHouseHandle, type FrameSource } from '../../../edge-gateway/index.js'
import {
  SimClock, Simulator, initialFleet, manifestAssignments, type ActiveFault, type DeviceTransport, type FleetManifest, type Frame,
  type ProfileAssignment, type TapDevice, type TransportStats,
} from '../../../firmware-sim/index.js'

const H = 3_600_000

export interface HistoryOptions {
  clickhouse: ClickHouseHandle
  /** The fleet, its profile rules and firmware rollouts (e.g. fleets/training.yaml). */
  manifest: FleetManifest
  /** Simulated start and end, ms since the epoch. */
  from: number
  to: number
  /** Multiplies every rule's `hazard_per_day`, so failures come often enough to learn from. Default: 1. */
  hazardScale?: number
  /**
   * A technician repairs a failed tap this long after its failure: the fault is cleared (ground truth gets
   * `cleared_at`) and, for a hazard-based rule, put on again with a fresh onset, so a tap can fail more than once.
   * Default: 6 h.
   */
  repairAfterMs?: number
  /** Frames in flight before the simulator waits for inserts. Default: 200,000. */
  maxInFlight?: number
  /** Called about once a second with the simulated time reached and the frames handed over so far. */
  onProgress?: (simTime: number, frames: number) => void
  logger?: Logger
}

export interface HistoryResult {
  frames: number
  groundTruthRecords: number
  repairs: number
  devices: number
}

/** A source that delivers nothing: frames reach the gateway through `handle` directly. */
const NO_SOURCE: FrameSource = {
  description: 'training history (direct)',
  start: async () => undefined,
  close: async () => undefined,
  connectedDevices: () => undefined,
}

/**
 * Writes a labelled history fast: the manifest's fleet runs at speed 'max' through the real device models, and
 * every frame and ground-truth record goes straight into a gateway (no MQTT), so decode, validation, seq gaps,
 * batching and the rollups all run as they do live. Failed taps are repaired and their hazards re-armed.
 */
export async function simulateHistory(o: HistoryOptions): Promise<HistoryResult> {
  const clock = new SimClock({ start: o.from, speed: 'max' })
  const log = o.logger ?? silentLogger
  const gateway = new Gateway({ source: NO_SOURCE, clickhouse: o.clickhouse, clock, logger: log, batch: { maxRows: 100_000, maxDelayMs: 200 } })
  await gateway.start()
  const fleet = initialFleet(o.manifest)
  await writeFleetDimensions(o.clickhouse.client, fleet)
  const repairs = new Repairs(o.repairAfterMs ?? 6 * H)
  const transport = new HistoryTransport(gateway, o.maxInFlight ?? 200_000, () => repairs.run(clock.now()))
  const sim = new Simulator({ fleet, clock, transport, until: o.to, profiles: scaleHazards(manifestAssignments(o.manifest), o.hazardScale ?? 1), firmware: o.manifest.firmware, logger: log })
  repairs.attach(sim)
  const progress = setInterval(() => o.onProgress?.(clock.now(), transport.stats.sent), 1000)
  try {
    await sim.start()
    await sim.close()
    await gateway.flush()
  } finally {
    clearInterval(progress)
    await gateway.close()
  }
  o.onProgress?.(o.to, transport.stats.sent)
  return { frames: transport.stats.sent, groundTruthRecords: sim.groundTruth, repairs: repairs.count, devices: sim.devices.length }
}

/** The assignments with every positive `hazard_per_day` multiplied by `scale`. */
export function scaleHazards(assignments: readonly ProfileAssignment[], scale: number): ProfileAssignment[] {
  if (scale === 1) return [...assignments]
  return assignments.map((a) => {
    const hazard = Number(a.params.hazard_per_day ?? 0)
    return hazard > 0 ? { ...a, params: { ...a.params, hazard_per_day: hazard * scale } } : a
  })
}

/**
 * The field service: each hazard-based manifest fault is cleared `afterMs` past its failure and assigned again
 * (the device's fault stream draws the next onset). Runs between scheduler events, at the simulated time.
 */
class Repairs {
  count = 0
  private sim: Simulator | undefined
  private due: { at: number; device: TapDevice; fault: ActiveFault }[] | undefined

  constructor(private readonly afterMs: number) {}

  attach(sim: Simulator): void {
    this.sim = sim
  }

  run(now: number): void {
    const sim = this.sim
    if (sim === undefined) return
    // The manifest's faults are assigned inside sim.start(), before the first event: collect them then.
    if (this.due === undefined) {
      this.due = []
      for (const device of sim.devices) for (const fault of device.faults.active) this.track(device, fault)
    }
    while (this.due.length > 0 && this.due[0]!.at <= now) {
      const { device, fault } = this.due.shift()!
      if (!device.faults.active.includes(fault)) continue
      sim.injector.clear(device, now, (f) => f === fault)
      this.count++
      const again = sim.injector.assign(device, fault.profile.name, { ...fault.params, onset: 0 }, fault.source, now)
      this.track(device, again)
    }
  }

  private track(device: TapDevice, fault: ActiveFault): void {
    if (fault.source !== 'manifest' || !(fault.params.hazard_per_day! > 0)) return
    const at = fault.failureMs + this.afterMs
    const due = this.due!
    let lo = 0
    let hi = due.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (due[mid]!.at <= at) lo = mid + 1
      else hi = mid
    }
    due.splice(lo, 0, { at, device, fault })
  }
}

/** Frames and ground truth straight into the gateway, with backpressure on unacknowledged frames. */
class HistoryTransport implements DeviceTransport {
  readonly stats: TransportStats = { sent: 0, acked: 0, failed: 0 }
  private waiting: Promise<void> | undefined

  constructor(
    private readonly gateway: Gateway,
    private readonly maxInFlight: number,
    /** Called after every scheduler event (the scheduler's gate), at the event's simulated time. */
    private readonly between: () => void,
  ) {}

  async connect(): Promise<void> {}

  publish(frame: Frame): void {
    this.stats.sent++
    this.gateway.handle(frame.topic, frame.payload, () => this.stats.acked++)
  }

  publishRecord(topic: string, payload: Uint8Array): void {
    this.gateway.handle(topic, payload, () => undefined)
  }

  backpressure(): Promise<void> | undefined {
    this.between()
    if (this.stats.sent - this.stats.acked < this.maxInFlight) return undefined
    return (this.waiting ??= this.gateway.flush().finally(() => (this.waiting = undefined)))
  }

  async flush(): Promise<void> {
    await this.gateway.flush()
  }

  async close(): Promise<void> {}
}
