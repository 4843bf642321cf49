import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { ClickHouseError, type Clock, type Logger } from '../common/index.js'
import {
  EmbeddedBroker, ExternalSource, FleetAuthority, Gateway, devTls, GatewayMetrics, QueryServer, WriteAheadLog, applyRetention, openClickHouse,
  type ClickHouseClient, type ClickHouseHandle, type FrameSource, type FsyncPolicy,
} from '../edge-gateway/index.js'
import { DashboardServer } from '../dashboards/index.js'
import { readStackInfo, removeStackInfo, writeStackInfo } from './stack-file.js'

export interface GatewayStackOptions {
  dataDir: string
  host: string
  mqttPort: number
  webPort: number
  sqlPort: number
  /** External broker; absent means the embedded aedes broker. */
  broker?: string
  clickhouseUrl?: string
  /** WAL fsync policy. Default: always. */
  walFsync?: FsyncPolicy
  /** WAL bound in bytes; when full the gateway stops acknowledging. Default: 256 MiB. */
  walMaxBytes?: number
  /** Let MQTT clients in without credentials (the embedded broker). Default: false. */
  insecure?: boolean
  /** Also listen for mqtts:// here, with a dev CA made on first use in <data-dir>/security/tls. Default: off. */
  tlsPort?: number
  /** Retention in days (0 = forever) for raw telemetry, rollups and dead letters. Default: 90, 730, 30. */
  retentionRaw?: number
  retentionRollups?: number
  retentionDeadLetters?: number
  clock?: Clock
  logger: Logger
}

/** Everything on the gateway side of the wire, started in order and closed in reverse. */
export interface GatewayStack {
  gateway: Gateway
  clickhouse: ClickHouseHandle
  mqttUrl: string
  sqlUrl: string | undefined
  webUrl: string
  /** Issues device and tool credentials for the embedded broker; from <data-dir>/security/fleet.key. */
  authority: FleetAuthority
  /** mqtts:// URL and the CA file clients need, when --tls-port is set. */
  tls?: { url: string; caPath: string }
  close(): Promise<void>
}

export async function startGatewayStack(o: GatewayStackOptions): Promise<GatewayStack> {
  mkdirSync(o.dataDir, { recursive: true })
  if (o.clickhouseUrl === undefined) {
    const running = readStackInfo(o.dataDir)
    if (running !== undefined && running.pid !== process.pid) {
      throw new ClickHouseError(`another tapflow (pid ${running.pid}) is using ${o.dataDir}; stop it or pass --data-dir`)
    }
  }
  // Closed in reverse: stack file, web, sql, gateway (stops the source, flushes), then ClickHouse.
  const closers: (() => Promise<void>)[] = []
  const close = async (): Promise<void> => {
    for (const c of closers.reverse()) await c()
  }
  try {
    const clickhouse = openClickHouse({ url: o.clickhouseUrl, path: join(o.dataDir, 'clickhouse') })
    closers.push(() => clickhouse.client.close())
    // Per-device credentials come from one fleet secret, created on first start and shared with `tapflow sim`.
    const authority = FleetAuthority.fromFile(fleetKeyPath(o.dataDir))
    let source: FrameSource
    let tls: GatewayStack['tls']
    let mqttUrl: string
    if (o.broker === undefined) {
      const material = o.tlsPort === undefined ? undefined : await devTls(join(o.dataDir, 'security', 'tls'))
      const tlsOpt = material === undefined || o.tlsPort === undefined ? undefined : { port: o.tlsPort, cert: material.cert, key: material.key }
      const broker = new EmbeddedBroker({ host: o.host, port: o.mqttPort, logger: o.logger, authority, allowAnonymous: o.insecure === true, tls: tlsOpt })
      await broker.listen()
      if (material !== undefined) tls = { url: `mqtts://${o.host}:${broker.tlsPort}`, caPath: material.caPath }
      source = broker
      mqttUrl = broker.url
    } else {
      source = new ExternalSource({ url: o.broker, logger: o.logger })
      mqttUrl = o.broker
    }
    const metrics = new GatewayMetrics({ processMetrics: true })
    const wal = WriteAheadLog.open({ dir: join(o.dataDir, 'wal'), fsync: o.walFsync, maxBytes: o.walMaxBytes, logger: o.logger })
    closers.push(() => wal.close())
    const gateway = new Gateway({ source, clickhouse, clock: o.clock, logger: o.logger, metrics, wal })
    closers.push(() => gateway.close())
    await gateway.start()
    await applyRetention(clickhouse.client, { rawDays: o.retentionRaw, rollupDays: o.retentionRollups, deadLetterDays: o.retentionDeadLetters }, o.logger)
    let sqlUrl: string | undefined
    // The dashboard reads through the read-only session when there is one; every dashboard query is readonly=2 anyway.
    let dashboardClient: ClickHouseClient = clickhouse.client
    if (clickhouse.engine === 'chdb') {
      // A second chDB session on the same directory: its readonly setting sticks to it, not to the gateway's inserts.
      const reader = openClickHouse({ path: clickhouse.location })
      closers.push(() => reader.client.close())
      dashboardClient = reader.client
      const qs = new QueryServer({ client: reader.client, host: o.host, port: o.sqlPort, logger: o.logger })
      await qs.listen()
      closers.push(() => qs.close())
      sqlUrl = qs.url
    }
    const web = new DashboardServer({
      client: dashboardClient,
      clock: o.clock,
      framesIn: () => gateway.stats.framesIn,
      registries: [metrics.registry],
      host: o.host,
      port: o.webPort,
      logger: o.logger,
      status: () => {
        refreshGauges()
        return {
          ok: true, source: source.description, clickhouse: clickhouse.location, ...gateway.stats, pendingRows: gateway.pendingRows,
          wal: { fsync: wal.policy, records: wal.depth, bytes: wal.bytes, maxBytes: wal.maxBytes, full: wal.full }, heldFrames: gateway.heldFrames,
        }
      },
    })
    // Gauges are sampled every second so /metrics is current even when nobody reads /status.
    const refreshGauges = (): void => {
      metrics.connectedDevices.set(source.connectedDevices() ?? 0)
      metrics.pendingRows.set(gateway.pendingRows)
      metrics.walDepth.set(wal.depth)
      metrics.walBytes.set(wal.bytes)
      metrics.heldFrames.set(gateway.heldFrames)
    }
    const gaugeTimer = setInterval(refreshGauges, 1_000).unref()
    closers.push(async () => clearInterval(gaugeTimer))
    await web.listen()
    closers.push(() => web.close())
    writeStackInfo(o.dataDir, { pid: process.pid, startedAt: new Date().toISOString(), mqttUrl, sqlUrl, webUrl: web.url })
    closers.push(async () => removeStackInfo(o.dataDir))
    return { gateway, clickhouse, mqttUrl, sqlUrl, webUrl: web.url, authority, tls, close }
  } catch (err) {
    await close().catch(() => undefined)
    throw err
  }
}

/** Where the fleet secret lives: <data-dir>/security/fleet.key (mode 0600). */
export function fleetKeyPath(dataDir: string): string {
  return join(dataDir, 'security', 'fleet.key')
}

/** mqtt://host:port with a username and password in it, for clients that take only a URL. */
export function withCredentials(url: string, c: { username: string; password: string }): string {
  const u = new URL(url)
  u.username = encodeURIComponent(c.username)
  u.password = encodeURIComponent(c.password)
  return u.toString()
}
