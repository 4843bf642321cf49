import type { ClientSession, ClientSubscription, DataValue, OPCUAClient } from 'node-opcua'
import { errorMessage, silentLogger, systemClock, type Clock, type Logger } from '../../../common/index.js'
import { CHILLER, type ChillerRecord } from '../sink/tables.js'

/** `tapflow.chiller` columns, in insert order (the spec is `CHILLER` in sink/tables.ts). */
export const CHILLER_COLUMNS = CHILLER.columnNames

/** The metric name under which a lost-and-restored session is recorded; its value is the gap in ms. */
export const SESSION_GAP_METRIC = 'session_gap_ms'

export interface ChillerEndpoint {
  endpointUrl: string
  venueId: string
  chillerId: string
}

export interface ChillerBridgeOptions {
  chillers: readonly ChillerEndpoint[]
  /** Where readings go: the gateway's `store`, i.e. the same WAL and batch path as MQTT frames. */
  store: (table: typeof CHILLER, record: ChillerRecord, onDurable: () => void) => void
  /** Variables to monitor on each chiller (`ns=1;s=<name>`). Default: the simulator's five. */
  metrics?: readonly string[]
  /** Server-side sampling interval for each monitored item, ms. Default: 500. */
  samplingMs?: number
  clock?: Clock
  logger?: Logger
}

const DEFAULT_METRICS = ['supply_temp_c', 'return_temp_c', 'compressor_current_a', 'pressure_bar', 'alarms']

interface Link {
  ep: ChillerEndpoint
  client: OPCUAClient
  session?: ClientSession
  subscription?: ClientSubscription
  lostAt?: number
}

/**
 * OPC-UA client for the cellar chillers: one session per chiller, a subscription with a monitored item per
 * variable (the server pushes changes; nothing is polled), every change written to `tapflow.chiller` through
 * the gateway's WAL and batches. When a session is lost the client reconnects with backoff, and the outage is
 * recorded as a `session_gap_ms` row so dashboards can tell "no change" from "no data".
 */
export class ChillerBridge {
  readonly stats = { changes: 0, sessionsLost: 0, reconnects: 0 }
  private readonly links: Link[] = []
  private readonly clock: Clock
  private readonly log: Logger
  private closed = false

  constructor(private readonly opts: ChillerBridgeOptions) {
    this.clock = opts.clock ?? systemClock
    this.log = (opts.logger ?? silentLogger).child({ component: 'opcua' })
  }

  async start(): Promise<void> {
    await Promise.all(this.opts.chillers.map((ep) => this.open(ep)))
  }

  private async open(ep: ChillerEndpoint): Promise<void> {
    // node-opcua is large: loaded only when a chiller is bridged, so the gateway starts fast without one.
    const { MessageSecurityMode, OPCUAClient, SecurityPolicy } = await import('node-opcua')
    const client = OPCUAClient.create({
      applicationName: 'tapflow-gateway',
      endpointMustExist: false,
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      keepSessionAlive: true,
      connectionStrategy: { maxRetry: 1_000_000, initialDelay: 250, maxDelay: 5_000 },
    })
    const link: Link = { ep, client }
    this.links.push(link)
    client.on('connection_lost', () => {
      link.lostAt ??= this.clock.now()
      this.stats.sessionsLost++
      this.log.warn({ chiller: ep.chillerId }, 'OPC-UA connection lost; reconnecting')
    })
    client.on('connection_reestablished', () => {
      this.stats.reconnects++
      this.recordGap(link)
    })
    await client.connect(ep.endpointUrl)
    await this.subscribe(link)
  }

  private async subscribe(link: Link): Promise<void> {
    const { AttributeIds, ClientMonitoredItem, TimestampsToReturn } = await import('node-opcua')
    const session = await link.client.createSession()
    link.session = session
    // A server restart invalidates the session: node-opcua recreates it, and we re-create the subscription.
    session.on('session_restored', () => {
      this.recordGap(link)
    })
    const sub = await session.createSubscription2({
      requestedPublishingInterval: this.opts.samplingMs ?? 500, requestedMaxKeepAliveCount: 10, requestedLifetimeCount: 100,
      maxNotificationsPerPublish: 1_000, publishingEnabled: true, priority: 1,
    })
    link.subscription = sub
    for (const metric of this.opts.metrics ?? DEFAULT_METRICS) {
      const item = ClientMonitoredItem.create(
        sub,
        { nodeId: `ns=1;s=${metric}`, attributeId: AttributeIds.Value },
        { samplingInterval: this.opts.samplingMs ?? 500, queueSize: 100, discardOldest: true },
        TimestampsToReturn.Both,
      )
      item.on('changed', (dv: DataValue) => this.onChange(link.ep, metric, dv))
      item.on('err', (msg: string) => this.log.warn({ chiller: link.ep.chillerId, metric, err: msg }, 'monitored item failed'))
    }
    this.log.info({ chiller: link.ep.chillerId, url: link.ep.endpointUrl }, 'OPC-UA subscription active')
  }

  private onChange(ep: ChillerEndpoint, metric: string, dv: DataValue): void {
    const value = Number(dv.value.value)
    if (!Number.isFinite(value)) return
    this.stats.changes++
    const now = this.clock.now()
    const ts = dv.sourceTimestamp?.getTime() ?? now
    this.opts.store(CHILLER, { venue_id: ep.venueId, chiller_id: ep.chillerId, ts, metric, value, quality: dv.statusCode.name, received_at: now }, noop)
  }

  private recordGap(link: Link): void {
    if (link.lostAt === undefined) return
    const now = this.clock.now()
    const gap = now - link.lostAt
    link.lostAt = undefined
    this.log.warn({ chiller: link.ep.chillerId, gapMs: gap }, 'OPC-UA session restored; gap recorded')
    this.opts.store(CHILLER, { venue_id: link.ep.venueId, chiller_id: link.ep.chillerId, ts: now, metric: SESSION_GAP_METRIC, value: gap, quality: 'Good', received_at: now }, noop)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    // A chiller that is gone would keep a polite close waiting on its reconnect loop: give each one 3 s.
    const bounded = (p: Promise<unknown>): Promise<unknown> =>
      Promise.race([p, new Promise((r) => setTimeout(r, 3_000).unref())]).catch((err: unknown) => this.log.debug({ err: errorMessage(err) }, 'closing OPC-UA link'))
    await Promise.all(
      this.links.map(async (l) => {
        await bounded((async () => {
          await l.subscription?.terminate()
          await l.session?.close()
        })())
        await bounded(l.client.disconnect())
      }),
    )
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

function noop(): void {}
