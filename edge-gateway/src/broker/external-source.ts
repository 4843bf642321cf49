import { hostname } from 'node:os'
import mqtt, { type MqttClient } from 'mqtt'
import { ConfigError, MqttError, errorMessage, silentLogger, type Logger } from '../../../common/index.js'
import { FRAME_KINDS, GROUND_TRUTH_TOPIC, TOPIC_ROOT } from '../../../proto/index.js'
import type { FrameHandler, FrameSource } from './source.js'

export interface ExternalSourceOptions {
  /** Broker URL, mqtt:// or mqtts://. */
  url: string
  /** Shared-subscription group; gateways in one group split the load. Default: tapflow-gateway. */
  group?: string
  /**
   * Client id, stable across restarts so the broker keeps the persistent session (and the frames queued in
   * it) while the gateway is down. Give each gateway of one group its own. Default: tapflow-gw-<hostname>-<group>.
   */
  clientId?: string
  /**
   * Subscribe through `$share/<group>/…` so several gateways split the fleet. A lone gateway can set false:
   * Mosquitto 2.0 does not keep shared subscriptions across its own restart, so frames published while the
   * group is gone are dropped there (and reported as seq gaps). Default: true.
   */
  shared?: boolean
  /** How long the broker keeps the session while the gateway is away, s (MQTT 5). Default: 86400. */
  sessionExpirySeconds?: number
  /**
   * Frames acknowledged to the broker but not yet durable in the WAL. mqtt.js reads the next packet only
   * after the previous one's ack, so acking strictly after durability would process one frame per fsync;
   * this window lets a group commit gather frames. Past it (a slow or full WAL) acks stop and the broker
   * holds the rest. Default: 1000.
   */
  maxUnsyncedAcks?: number
  username?: string
  password?: string
  logger?: Logger
}

/**
 * Reads frames from an external broker (Mosquitto, EMQX) through `$share/<group>/…`, so any number of
 * gateways can split the fleet. The session is persistent (clean: false, fixed client id), and a frame's
 * PUBACK is held back whenever more than `maxUnsyncedAcks` frames are not yet durable.
 */
export class ExternalSource implements FrameSource {
  private client: MqttClient | undefined
  private readonly log: Logger
  private readonly url: string

  constructor(private readonly opts: ExternalSourceOptions) {
    let u: URL
    try {
      u = new URL(opts.url)
    } catch {
      throw new ConfigError(`--broker is not a URL: '${opts.url}'`)
    }
    if (!['mqtt:', 'mqtts:', 'tcp:', 'ssl:'].includes(u.protocol)) {
      throw new ConfigError(`--broker must be mqtt:// or mqtts://, got '${u.protocol}'`)
    }
    this.url = opts.url
    this.log = (opts.logger ?? silentLogger).child({ component: 'broker' })
  }

  get description(): string {
    return `external broker ${this.url} ($share/${this.opts.group ?? 'tapflow-gateway'})`
  }

  async start(handler: FrameHandler): Promise<void> {
    const group = this.opts.group ?? 'tapflow-gateway'
    const shared = this.opts.shared ?? true
    const filters = [...FRAME_KINDS, 'batch'].map((k) => `${shared ? `$share/${group}/` : ''}${TOPIC_ROOT}/+/+/${k}`)
    const window = this.opts.maxUnsyncedAcks ?? 1000
    let unsynced = 0
    let blocked: (() => void)[] = []
    const client = mqtt.connect(this.url, {
      clientId: this.opts.clientId ?? `tapflow-gw-${hostname()}-${group}`,
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: this.opts.sessionExpirySeconds ?? 86_400 },
      // Called per QoS 1 frame; mqtt.js sends the PUBACK and reads the next packet once `done` is called.
      customHandleAcks: (topic, payload, _packet, done) => {
        unsynced++
        handler(topic, payload as Buffer, () => {
          unsynced--
          if (unsynced < window && blocked.length > 0) {
            const b = blocked
            blocked = []
            for (const f of b) f()
          }
        })
        if (unsynced < window) done(0)
        else blocked.push(() => done(0))
      },
      reconnectPeriod: 1000,
      username: this.opts.username,
      password: this.opts.password,
    })
    this.client = client
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        client.end(true)
        reject(new MqttError(`cannot connect to ${this.url}: ${errorMessage(err)}`, (err as { code?: number }).code ?? 0x80, { cause: err }))
      }
      client.once('error', onError)
      // Only the first connect may fail the start; later errors (a broker restart) must leave mqtt.js reconnecting.
      client.once('connect', () => {
        client.off('error', onError)
        resolve()
      })
    })
    client.on('connect', (ack) => {
      this.log.info({ url: this.url, sessionPresent: ack.sessionPresent }, 'reconnected to external broker')
      // mqtt.js resubscribes only when the session is gone; Mosquitto 2.0 can restore a session without its
      // $share subscriptions, so subscribe again every time (idempotent when they are there).
      if (ack.sessionPresent !== true || !shared) return
      client.unsubscribeAsync(filters).then(() => client.subscribeAsync(filters, { qos: 1 })).catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'resubscribe failed'))
    })
    client.on('error', (err) => this.log.warn({ err: errorMessage(err) }, 'mqtt error'))
    // QoS 0 frames never reach customHandleAcks: take them here, with nothing to acknowledge.
    client.on('message', (topic, payload, packet) => {
      if (packet.qos === 0) handler(topic, payload, () => undefined)
    })
    filters.push(`$share/${group}/${GROUND_TRUTH_TOPIC}`)
    const granted = await client.subscribeAsync(filters, { qos: 1 })
    const refused = granted.filter((g) => g.qos >= 0x80)
    if (refused.length > 0) throw new MqttError(`broker refused subscription ${refused[0]!.topic}`, refused[0]!.qos)
    this.log.info({ url: this.url, filters }, 'subscribed to external broker')
  }

  connectedDevices(): undefined {
    return undefined
  }

  async close(): Promise<void> {
    const c = this.client
    this.client = undefined
    if (c !== undefined) await c.endAsync()
  }
}
