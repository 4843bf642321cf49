import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DashboardServer, writeFleetDimensions } from '../index.js'
import { EmbeddedBroker, Gateway, GatewayMetrics, openClickHouse, type ClickHouseHandle } from '../../edge-gateway/index.js'
import {
  MqttTransport, SimClock, Simulator, buildFleet, type DeviceSpec, type DeviceTransport, type FleetSpec, type Frame, type TransportStats,
} from '../../firmware-sim/index.js'

export interface DashboardStack {
  fleet: FleetSpec
  writer: ClickHouseHandle
  server: DashboardServer
  url: string
  gateway: Gateway
  reportsDir: string
  /** Simulated time at which history ends and taps publish live over MQTT. */
  liveStart: number
  /** Resolves once the history is written and taps publish live. */
  live: Promise<void>
  close(): Promise<void>
}

export interface DashboardStackOptions {
  devices: number
  /** Days of history before the live part, written at full speed straight into the gateway. */
  historyDays: number
  /** Simulated seconds per real second once live. */
  liveSpeed: number
  reportsDir?: string
  seed?: number
  /** When history ends. Default: the latest Friday 20:00 UTC, when European bars are busy. */
  start?: number
}

/** Friday evening in Europe: most venues pour, so live pours show up within seconds at modest speeds. */
export function lastFridayEvening(now = Date.now()): number {
  const d = new Date(now)
  d.setUTCHours(20, 0, 0, 0)
  while (d.getUTCDay() !== 5 || d.getTime() > now) d.setUTCDate(d.getUTCDate() - 1)
  return d.getTime()
}

/**
 * The real stack pieces in-process on free ports, wired as `tapflow up` wires them: chDB in a temp dir,
 * aedes, the gateway, and the dashboard on its own read-only chDB session. One simulation runs throughout
 * (so every device's seq keeps rising): at full speed straight into the gateway for the history, then
 * paced, through MQTT, for the live part.
 */
export async function startDashboardStack(o: DashboardStackOptions): Promise<DashboardStack> {
  const dir = mkdtempSync(join(tmpdir(), 'tapflow-dashboards-'))
  const closers: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })]
  const close = async (): Promise<void> => {
    // Newest first; splice empties the list, so a second close() does nothing.
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined)
  }
  const writer = openClickHouse({ path: join(dir, 'clickhouse') })
  closers.push(() => writer.client.close())
  const fleet = buildFleet({ devices: o.devices, seed: o.seed ?? 5 })
  const liveStart = o.start ?? lastFridayEvening()
  const clock = new HistoryThenLiveClock(liveStart - o.historyDays * 86_400_000, liveStart, o.liveSpeed)
  const broker = new EmbeddedBroker({ port: 0 })
  await broker.listen()
  const gateway = new Gateway({ source: broker, clickhouse: writer, clock, metrics: new GatewayMetrics(), batch: { maxDelayMs: 200 } })
  await gateway.start()
  closers.push(() => gateway.close())
  await writeFleetDimensions(writer.client, fleet)
  let wentLive!: () => void
  const live = new Promise<void>((r) => (wentLive = r))
  const transport = new HistoryThenMqtt(gateway, new MqttTransport({ url: broker.url }), liveStart, wentLive)
  const sim = new Simulator({ fleet, clock, transport })
  const running = sim.start()
  closers.push(async () => {
    await sim.close()
    await running
  })
  const reader = openClickHouse({ path: join(dir, 'clickhouse') })
  closers.push(() => reader.client.close())
  const reportsDir = o.reportsDir ?? join(dir, 'reports')
  const server = new DashboardServer({
    client: reader.client,
    port: 0,
    clock,
    reportsDir,
    framesIn: () => gateway.stats.framesIn,
    registries: [gateway.metrics.registry],
    status: () => ({ ok: true, ...gateway.stats }),
  })
  await server.listen()
  closers.push(() => server.close())
  return { fleet, writer, server, url: server.url, gateway, reportsDir, liveStart, live, close }
}

/** Jumps from event to event until `liveAt`, then runs `speed` times faster than real time. */
class HistoryThenLiveClock extends SimClock {
  private liveReal: number | undefined

  constructor(
    from: number,
    private readonly liveAt: number,
    private readonly liveSpeed: number,
  ) {
    super({ start: from, speed: 'max' })
  }

  override now(): number {
    return this.liveReal === undefined ? super.now() : this.liveAt + (Date.now() - this.liveReal) * this.liveSpeed
  }

  override realDelayUntil(t: number): number {
    if (this.liveReal === undefined && t >= this.liveAt) {
      super.advanceTo(this.liveAt)
      this.liveReal = Date.now()
    }
    return this.liveReal === undefined ? 0 : Math.max(0, (t - this.now()) / this.liveSpeed)
  }

  override advanceTo(t: number): void {
    if (this.liveReal === undefined) super.advanceTo(t)
  }
}

/** History frames go straight to the gateway (with backpressure); live frames go over MQTT. */
class HistoryThenMqtt implements DeviceTransport {
  private waiting: Promise<void> | undefined
  private direct = { sent: 0, acked: 0 }

  constructor(
    private readonly gateway: Gateway,
    private readonly mqtt: MqttTransport,
    private readonly liveAt: number,
    private readonly onLive: () => void,
  ) {}

  get stats(): TransportStats {
    return { sent: this.direct.sent + this.mqtt.stats.sent, acked: this.direct.acked + this.mqtt.stats.acked, failed: this.mqtt.stats.failed }
  }

  async connect(devices: readonly DeviceSpec[]): Promise<void> {
    await this.mqtt.connect(devices)
  }

  publish(frame: Frame): void {
    if (frame.tsMs >= this.liveAt) {
      this.onLive()
      this.mqtt.publish(frame)
      return
    }
    this.direct.sent++
    this.gateway.handle(frame.topic, frame.payload, () => this.direct.acked++)
  }

  backpressure(): Promise<void> | undefined {
    if (this.direct.sent - this.direct.acked > 100_000) return (this.waiting ??= this.gateway.flush().finally(() => (this.waiting = undefined)))
    return this.mqtt.backpressure()
  }

  async flush(): Promise<void> {
    await this.gateway.flush()
    await this.mqtt.flush()
  }

  async close(): Promise<void> {
    await this.mqtt.close()
  }
}
