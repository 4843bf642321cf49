import { silentLogger, type Logger } from '../../common/index.js'
import { Gateway, type ClickHouseHandle, type FrameSource } from '../../edge-gateway/index.js'
import { SimClock, Simulator, type DeviceTransport, type FleetSpec, type Frame, type TransportStats } from '../../firmware-sim/index.js'
import { writeFleetDimensions } from './dimensions.js'

export interface SeedOptions {
  clickhouse: ClickHouseHandle
  fleet: FleetSpec
  /** Simulated start, ms since the epoch. */
  from: number
  /** Simulated end, ms since the epoch. */
  to: number
  /** Frames in flight before the simulator waits for inserts. Default: 200000. */
  maxInFlight?: number
  /** Called about once a second with frames handed over so far. Default: none. */
  onProgress?: (frames: number, simTime: number) => void
  logger?: Logger
}

/** A source that delivers nothing: frames reach the gateway through `handle` directly. */
const NO_SOURCE: FrameSource = {
  description: 'seed (direct)',
  start: async () => undefined,
  close: async () => undefined,
  connectedDevices: () => undefined,
}

/**
 * Writes history for dashboards and benchmarks fast: the simulator at speed 'max' hands every frame
 * straight to a gateway (no MQTT), so the real decode, batch and insert path and the rollups fill up.
 * Backpressure: the scheduler pauses whenever too many frames wait for their insert.
 */
export async function seedHistory(o: SeedOptions): Promise<{ frames: number }> {
  // The gateway judges and stamps frames by the simulated clock, so arrival times read as they would have live.
  const clock = new SimClock({ start: o.from, speed: 'max' })
  const gateway = new Gateway({ source: NO_SOURCE, clickhouse: o.clickhouse, clock, logger: o.logger ?? silentLogger, batch: { maxRows: 100_000, maxDelayMs: 200 } })
  await gateway.start()
  await writeFleetDimensions(o.clickhouse.client, o.fleet)
  const transport = new DirectTransport(gateway, o.maxInFlight ?? 200_000)
  const sim = new Simulator({ fleet: o.fleet, clock, transport, until: o.to, logger: o.logger })
  const progress = setInterval(() => o.onProgress?.(transport.stats.sent, clock.now()), 1000)
  try {
    await sim.start()
    await sim.close()
    await gateway.flush()
  } finally {
    clearInterval(progress)
    await gateway.close()
  }
  return { frames: transport.stats.sent }
}

class DirectTransport implements DeviceTransport {
  readonly stats: TransportStats = { sent: 0, acked: 0, failed: 0 }
  private waiting: Promise<void> | undefined

  constructor(
    private readonly gateway: Gateway,
    private readonly maxInFlight: number,
  ) {}

  async connect(): Promise<void> {}

  publish(frame: Frame): void {
    this.stats.sent++
    this.gateway.handle(frame.topic, frame.payload, () => this.stats.acked++)
  }

  backpressure(): Promise<void> | undefined {
    if (this.stats.sent - this.stats.acked < this.maxInFlight) return undefined
    return (this.waiting ??= this.gateway.flush().finally(() => (this.waiting = undefined)))
  }

  async flush(): Promise<void> {
    await this.gateway.flush()
  }

  async close(): Promise<void> {}
}
