import { createServer, type Server } from 'node:net'
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls'
import { Aedes, type Client } from 'aedes'
import { listen, silentLogger, type Logger } from '../../../common/index.js'
import { GROUND_TRUTH_TOPIC, TOPIC_ROOT } from '../../../proto/index.js'
import { canPublish, canSubscribe } from '../security/acl.js'
import type { FleetAuthority, Identity } from '../security/credentials.js'
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
  logger?: Logger
}

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
  /** Connections refused and publishes/subscriptions denied, for tests and /status. */
  readonly security = { refused: 0, denied: 0 }
  /** Frames published between listen() and start(): held unacknowledged, not dropped. */
  private early: [string, Buffer, () => void][] = []
  private readonly log: Logger
  port = 0

  constructor(private readonly opts: EmbeddedBrokerOptions = {}) {
    this.log = (opts.logger ?? silentLogger).child({ component: 'broker' })
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
        const who = auth.verify(username, password)
        // A device must also use its own id as client id, so it cannot take over another device's session.
        if (who === undefined || (who.role === 'device' && who.deviceId !== client.id)) {
          this.security.refused++
          this.log.warn({ client: client.id, username }, 'connection refused: bad credentials')
          return callback(Object.assign(new Error('bad user name or password'), { returnCode: username === undefined ? 5 : 4 }), false)
        }
        this.identities.set(client, who)
        callback(null, true)
      },
      authorizeSubscribe: (client, sub, callback) => {
        const who = client === null ? undefined : this.identities.get(client)
        const why = who === undefined ? undefined : canSubscribe(who, sub.topic)
        if (why === undefined) return callback(null, sub)
        this.security.denied++
        this.log.warn({ client: client?.id, topic: sub.topic }, `subscription refused: ${why}`)
        callback(null, null)
      },
      // aedes sends a QoS 1 PUBACK after this callback and before `published`, so this is where the frame is
      // made durable: the PUBACK leaves only once the gateway says the frame is safe.
      authorizePublish: (client, packet, callback) => {
        const topic = packet.topic
        const who = client === null ? undefined : this.identities.get(client)
        const why = who === undefined ? undefined : canPublish(who, topic)
        if (why !== undefined) {
          this.security.denied++
          this.log.warn({ client: client?.id, topic: topic.slice(0, 200) }, `publish refused: ${why}`)
          return callback(new Error(why))
        }
        const telemetry = topic.startsWith(prefix) && !PASS_THROUGH.has(topic.slice(topic.lastIndexOf('/') + 1))
        if (client === null || !(telemetry || topic === GROUND_TRUTH_TOPIC)) return callback(null)
        const frame: [string, Buffer, () => void] = [topic, packet.payload as Buffer, () => callback(null)]
        if (this.handler === undefined) this.early.push(frame)
        else this.handler(...frame)
      },
    })
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
}
