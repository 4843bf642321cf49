import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { OptionError, ConfigError, ResourceStack, TapflowClickHouseError, type Clock, type Logger } from '../common/index.js'
import {
  EmbeddedBroker, ExternalSource, FleetAuthority, Gateway, devTls, GatewayMetrics, QueryServer, ReadOnlySql, RevocationList, WriteAheadLog, applyRetention, openClickHouse,
  type ClickHouseClient, type ClickHouseHandle, type FrameSource, type FsyncPolicy, type SqlLimits,
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
  /** WAL bound in bytes; when full the gateway holds frames without their PUBACK. Default: 256 MiB. */
  walMaxBytes?: number
  /** Let MQTT clients in without credentials (the embedded broker). Default: false. */
  insecure?: boolean
  /** Also listen for mqtts:// here, with a dev CA made on first use in <data-dir>/security/tls. Default: off. */
  tlsPort?: number
  /** Bounds on every SQL-port query. Default: DEFAULT_SQL_LIMITS (flags --sql-max-*). */
  sqlLimits?: Partial<SqlLimits>
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
  /** The dashboard server, so `tapflow up` can report the business's state on it. */
  web: DashboardServer
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
      throw new TapflowClickHouseError(`another tapflow (pid ${running.pid}) is using ${o.dataDir}; stop it or pass --data-dir`)
    }
  }
  // Each resource is registered the moment it opens and closed in reverse: stack file, web, sql, gateway (stops
  // the source, flushes), WAL, broker, then ClickHouse. A closer that fails is logged and the rest still run.
  const resources = new ResourceStack({ logger: o.logger.child({ component: 'stack' }) })
  const close = (): Promise<void> => resources.close()
  try {
    const clickhouse = withFlagNames(() => openClickHouse({ url: o.clickhouseUrl, path: join(o.dataDir, 'clickhouse') }))
    resources.defer('clickhouse', () => clickhouse.client.close())
    // Per-device credentials come from one fleet secret, created on first start and shared with `tapflow sim`.
    const authority = FleetAuthority.fromFile(fleetKeyPath(o.dataDir))
    const metrics = new GatewayMetrics({ processMetrics: true })
    let source: FrameSource
    let tls: GatewayStack['tls']
    let mqttUrl: string
    if (o.broker === undefined) {
      const material = o.tlsPort === undefined ? undefined : await devTls(join(o.dataDir, 'security', 'tls'))
      const tlsOpt = material === undefined || o.tlsPort === undefined ? undefined : { port: o.tlsPort, cert: material.cert, key: material.key }
      const broker = new EmbeddedBroker({ host: o.host, port: o.mqttPort, logger: o.logger, authority, allowAnonymous: o.insecure === true, tls: tlsOpt, metrics, revocations: new RevocationList(revokedPath(o.dataDir)) })
      // Registered before it listens: a listen that binds one port and fails on the other still closes.
      resources.use('mqtt broker', broker)
      await broker.listen()
      if (material !== undefined) tls = { url: `mqtts://${o.host}:${broker.tlsPort}`, caPath: material.caPath }
      source = broker
      mqttUrl = broker.url
    } else {
      source = new ExternalSource({ url: o.broker, logger: o.logger })
      mqttUrl = o.broker
    }
    const wal = resources.use('wal', withFlagNames(() => WriteAheadLog.open({ dir: join(o.dataDir, 'wal'), fsync: o.walFsync, maxBytes: o.walMaxBytes, logger: o.logger })))
    // The gateway closes its source (the broker, or the external subscription) first thing in its close.
    const gateway = resources.use('gateway', new Gateway({ source, clickhouse, clock: o.clock, logger: o.logger, metrics, wal }))
    await gateway.start()
    await applyRetention(clickhouse.client, { rawDays: o.retentionRaw, rollupDays: o.retentionRollups, deadLetterDays: o.retentionDeadLetters }, o.logger)
    let sqlUrl: string | undefined
    // The dashboard reads through a session of its own when there is one; every dashboard query is readonly=2 anyway.
    let dashboardClient: ClickHouseClient = clickhouse.client
    if (clickhouse.engine === 'chdb') {
      // chDB keeps settings per session: the dashboard's, the gateway's and the SQL port's never meet.
      const reader = openClickHouse({ path: clickhouse.location })
      resources.defer('clickhouse reader', () => reader.client.close())
      dashboardClient = reader.client
      const sql = resources.use('sql sessions', await ReadOnlySql.open({ path: clickhouse.location, limits: o.sqlLimits, logger: o.logger }))
      const qs = new QueryServer({ sql, host: o.host, port: o.sqlPort, logger: o.logger })
      resources.use('sql server', qs)
      await qs.listen()
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
      metrics.walFsyncErrors.set(wal.stats.fsyncErrors)
    }
    const gaugeTimer = setInterval(refreshGauges, 1_000).unref()
    resources.defer('gauge timer', () => clearInterval(gaugeTimer))
    resources.use('web server', web)
    await web.listen()
    writeStackInfo(o.dataDir, { pid: process.pid, startedAt: new Date().toISOString(), mqttUrl, sqlUrl, webUrl: web.url })
    resources.defer('stack file', () => removeStackInfo(o.dataDir))
    return { gateway, clickhouse, mqttUrl, sqlUrl, webUrl: web.url, web, authority, tls, close }
  } catch (err) {
    await close()
    throw err
  }
}

/** Library errors name options (`WalOptions.fsync`); the CLI says which flag sets them. */
const FLAG_FOR_OPTION: Readonly<Record<string, string>> = {
  'ClickHouseOptions.url': '--clickhouse-url',
  'WalOptions.fsync': '--wal-fsync',
  'WalOptions.maxBytes': '--wal-max-bytes',
}

function withFlagNames<T>(open: () => T): T {
  try {
    return open()
  } catch (err) {
    const flag = err instanceof OptionError ? FLAG_FOR_OPTION[err.option] : undefined
    if (flag !== undefined && err instanceof OptionError) throw new ConfigError(`${flag} ${err.problem}`, { cause: err })
    throw err
  }
}

/** Where the fleet secret lives: <data-dir>/security/fleet.key (mode 0600). */
export function fleetKeyPath(dataDir: string): string {
  return join(dataDir, 'security', 'fleet.key')
}

/** Devices refused at connect (`tapflow devices revoke`), read by the embedded broker. */
export function revokedPath(dataDir: string): string {
  return join(dataDir, 'security', 'revoked.json')
}

/** mqtt://host:port with a username and password in it, for clients that take only a URL. */
export function withCredentials(url: string, c: { username: string; password: string }): string {
  const u = new URL(url)
  u.username = encodeURIComponent(c.username)
  u.password = encodeURIComponent(c.password)
  return u.toString()
}
