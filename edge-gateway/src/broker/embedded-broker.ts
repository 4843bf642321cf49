import { createServer, type Server } from 'node:net'
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls'
import { Aedes, type Client } from 'aedes'
import { errorMessage, listen, silentLogger, type Clock, type Logger } from '../../../common/index.js'
import { GROUND_TRUTH_TOPIC, TOPIC_ROOT } from '../../../proto/index.js'
import { GatewayMetrics } from '../metrics.js'
import { canPublish, canSubscribe } from '../security/acl.js'
import type { FleetAuthority, Identity } from '../security/credentials.js'
import { RateLimitedLog } from '../security/rate-limited-log.js'
import type { RevocationList } from '../security/revocation.js'
import { indexRetained, type RetainedStore } from './retained-index.js'
import type { FrameHandler, FrameSource } from './source.js'

export interface EmbeddedBrokerOptions {
  /** Bind address. Default: 127.0.0.1. */
  host?: string
  /** MQTT port; 0 picks a free one. Default: 1883. */
  port?: number
  /** Flag that changes the port, named in the busy-port error. Default: --mqtt-port. */
  portFlag?: string
  /** An extra `mqtts://` listener (same broker, same credentials). Default: none. */
  tls?: { port: number; cert: string; key: string }
  /**
   * Checks every CONNECT against per-device credentials and applies the topic ACL. Default: none, an open
   * broker (tests, library use); the CLI always passes one unless --insecure.
   */
  authority?: FleetAuthority
  /** With an authority, still let clients without a username in (unrestricted). Default: false. */
  allowAnonymous?: boolean
  /**
   * Revoked device credentials, checked at every CONNECT (the file is re-read when it changed) and watched,
   * so a device revoked while connected is disconnected. Default: none.
   */
  revocations?: RevocationList
  /** Where the security counters (tapflow_broker_*) go. Default: a registry of the broker's own. */
  metrics?: GatewayMetrics
  /** Time source for the rate-limited security log. Default: the system clock. */
  clock?: Clock
  logger?: Logger
}

/** Why a CONNECT was refused: the `reason` label of tapflow_broker_connects_refused_total. */
export type RefusalReason = 'anonymous' | 'unknown_identity' | 'bad_credentials' | 'client_id_mismatch' | 'revoked'

const PASS_THROUGH = new Set(['status', 'cmd'])

/**
 * An in-process aedes broker. The gateway reads frames straight from its publish pipeline, and the
 * device's PUBACK waits until the gateway says the frame is durable, so an acknowledged frame is never lost.
 */
export class EmbeddedBroker implements FrameSource {
  private broker: Aedes | undefined
  private server: Server | undefined
  private tlsServer: TlsServer | undefined
  /** The TLS port once listening, or 0. */
  tlsPort = 0
  private handler: FrameHandler | undefined
  private readonly identities = new WeakMap<Client, Identity>()
  /** Sessions by client id, to notice takeovers and to close revoked devices. */
  private readonly live = new Map<string, Client>()
  /** Connections refused, publishes/subscriptions denied, sessions taken over, for tests and /status. */
  readonly security = { refused: 0, denied: 0, takeovers: 0 }
  readonly metrics: GatewayMetrics
  private readonly securityLog: RateLimitedLog
  private stopWatching: (() => void) | undefined
  /** Frames published between listen() and start(): held unacknowledged, not dropped. */
  private early: [string, Buffer, () => void][] = []
  private readonly log: Logger
  port = 0

  constructor(private readonly opts: EmbeddedBrokerOptions = {}) {
    this.log = (opts.logger ?? silentLogger).child({ component: 'broker' })
    this.metrics = opts.metrics ?? new GatewayMetrics()
    this.securityLog = new RateLimitedLog({ logger: this.log, clock: opts.clock })
  }

  get description(): string {
    return `embedded aedes on mqtt://${this.opts.host ?? '127.0.0.1'}:${this.port}`
  }

  get url(): string {
    return `mqtt://${this.opts.host ?? '127.0.0.1'}:${this.port}`
  }

  /** Starts the listener; frames are dropped into `handler` once `start` is called. */
  async listen(): Promise<void> {
    const prefix = TOPIC_ROOT + '/'
    const auth = this.opts.authority
    this.broker = await Aedes.createBroker({
      authenticate: (client, username, password, callback) => {
        if (auth === undefined) return callback(null, true)
        if (username === undefined && this.opts.allowAnonymous === true) return callback(null, true)
        const refuse = (reason: RefusalReason): void => {
          this.security.refused++
          this.metrics.connectsRefused.inc({ reason })
          this.securityLog.warn(`refused:${reason}`, { client: client.id.slice(0, 64), username: username?.slice(0, 64) }, `connection refused: ${reason.replace(/_/g, ' ')}`)
          // 5 (not authorized) without a username or when revoked, 4 (bad user name or password) otherwise.
          const returnCode = username === undefined || reason === 'revoked' ? 5 : 4
          callback(Object.assign(new Error(reason === 'revoked' ? 'not authorized' : 'bad user name or password'), { returnCode }), false)
        }
        if (username === undefined) return refuse('anonymous')
        const r = auth.check(username, password)
        if (!r.ok) return refuse(r.reason)
        const who = r.identity
        // A device must also use its own id as client id, so it cannot take over another device's session.
        if (who.role === 'device' && who.deviceId !== client.id) return refuse('client_id_mismatch')
        if (who.role === 'device' && this.isRevoked(username)) return refuse('revoked')
        const previous = this.live.get(client.id)
        if (previous !== undefined && !previous.closed) {
          // aedes closes the open session with this client id once we accept: count it, it may be a stolen credential.
          this.security.takeovers++
          this.metrics.takeovers.inc()
          this.securityLog.warn('takeover', { client: client.id }, 'session taken over by a second client with the same client id')
        }
        this.identities.set(client, who)
        callback(null, true)
      },
      authorizeSubscribe: (client, sub, callback) => {
        const who = client === null ? undefined : this.identities.get(client)
        const why = who === undefined ? undefined : canSubscribe(who, sub.topic)
        if (why === undefined) return callback(null, sub)
        this.denied('subscribe', client?.id, sub.topic, why)
        callback(null, null)
      },
      // aedes sends a QoS 1 PUBACK after this callback and before `published`, so this is where the frame is
      // made durable: the PUBACK leaves only once the gateway says the frame is safe.
      authorizePublish: (client, packet, callback) => {
        const topic = packet.topic
        const who = client === null ? undefined : this.identities.get(client)
        const why = who === undefined ? undefined : canPublish(who, topic)
        if (why !== undefined) {
          this.denied('publish', client?.id, topic, why)
          return callback(new Error(why))
        }
        const telemetry = topic.startsWith(prefix) && !PASS_THROUGH.has(topic.slice(topic.lastIndexOf('/') + 1))
        if (client === null || !(telemetry || topic === GROUND_TRUTH_TOPIC)) return callback(null)
        const frame: [string, Buffer, () => void] = [topic, packet.payload as Buffer, () => callback(null)]
        if (this.handler === undefined) this.early.push(frame)
        else this.handler(...frame)
      },
    })
    // aedes types no `persistence`; at runtime it is the broker's store (its default, in memory).
    indexRetained((this.broker as unknown as { persistence: RetainedStore }).persistence)
    this.broker.on('client', (client) => this.live.set(client.id, client))
    this.broker.on('clientDisconnect', (client) => {
      if (this.live.get(client.id) === client) this.live.delete(client.id)
    })
    this.stopWatching = this.opts.revocations?.watch(() => this.closeRevoked(), (err) => this.log.error({ err: errorMessage(err) }, 'cannot read the revocation list'))
    this.broker.on('clientError', (client, err) => this.log.debug({ client: client.id, err: err.message }, 'client error'))
    this.server = createServer(this.broker.handle)
    this.port = await listen(this.server, this.opts.port ?? 1883, this.opts.host ?? '127.0.0.1', this.opts.portFlag ?? '--mqtt-port')
    if (this.opts.tls !== undefined) {
      this.tlsServer = createTlsServer({ cert: this.opts.tls.cert, key: this.opts.tls.key, minVersion: 'TLSv1.2' }, this.broker.handle)
      this.tlsPort = await listen(this.tlsServer, this.opts.tls.port, this.opts.host ?? '127.0.0.1', '--tls-port')
      this.log.info({ url: `mqtts://${this.opts.host ?? '127.0.0.1'}:${this.tlsPort}` }, 'embedded MQTT broker listening with TLS')
    }
    this.log.info({ url: this.url }, 'embedded MQTT broker listening')
  }

  async start(handler: FrameHandler): Promise<void> {
    if (this.broker === undefined) await this.listen()
    this.handler = handler
    for (const [topic, payload, ack] of this.early.splice(0)) handler(topic, payload, ack)
  }

  connectedDevices(): number | undefined {
    return this.broker?.connectedClients
  }

  async close(): Promise<void> {
    this.stopWatching?.()
    this.stopWatching = undefined
    this.securityLog.close()
    const server = this.server
    const broker = this.broker
    this.server = undefined
    this.broker = undefined
    if (broker !== undefined) await new Promise<void>((r) => broker.close(() => r()))
    if (server !== undefined) await new Promise<void>((r) => server.close(() => r()))
    const tlsServer = this.tlsServer
    this.tlsServer = undefined
    if (tlsServer !== undefined) await new Promise<void>((r) => tlsServer.close(() => r()))
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** A revocation list that turns unreadable is logged, and the last good one stays in force. */
  private isRevoked(username: string): boolean {
    return this.opts.revocations?.has(username, (err) => this.log.error({ err: errorMessage(err) }, 'cannot read the revocation list')) ?? false
  }

  /** Closes the sessions of devices revoked while connected. */
  private closeRevoked(): void {
    for (const client of this.live.values()) {
      const who = this.identities.get(client)
      if (who?.role !== 'device' || !this.isRevoked(`${who.venueId}/${who.deviceId}`)) continue
      this.metrics.revokedDisconnects.inc()
      this.log.warn({ client: client.id }, 'revoked device disconnected')
      client.close()
    }
  }

  private denied(action: 'publish' | 'subscribe', clientId: string | undefined, topic: string, why: string): void {
    this.security.denied++
    this.metrics.aclDenied.inc({ action })
    this.securityLog.warn(`denied:${action}`, { client: clientId?.slice(0, 64), topic: topic.slice(0, 200) }, `${action} refused: ${why}`)
  }
}
