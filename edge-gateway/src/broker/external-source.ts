import { hostname } from 'node:os'
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt'
import { ConfigError, MqttError, errorMessage, silentLogger, type Logger } from '../../../common/index.js'
import { FRAME_KINDS, GROUND_TRUTH_TOPIC, TOPIC_ROOT } from '../../../proto/index.js'
import type { FrameHandler, FrameSource } from './source.js'

export interface ExternalSourceOptions {
  /** Broker URL, mqtt:// or mqtts://. The broker must speak MQTT 5. */
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
   * MQTT 5 Receive Maximum: how many QoS 1 frames the broker may have delivered to us and not yet had
   * acknowledged. Every PUBACK waits until its frame is durable in the WAL, so this is the window one group
   * commit can gather from; past it the broker holds the rest. 1–65535. Default: 65535.
   */
  receiveMaximum?: number
  username?: string
  password?: string
  logger?: Logger
}

/** MQTT 3.1.1 CONNACK "unacceptable protocol version", and MQTT 5 reason "unsupported protocol version". */
const PROTOCOL_REFUSED = new Set([1, 0x84])

/**
 * Handed to mqtt.js's `handleMessage` callback to mean "taken, PUBACK later": on an error mqtt.js sends no
 * PUBACK and reads the next packet, so frames keep flowing while their PUBACKs wait for the WAL.
 */
const PUBACK_DEFERRED = new Error('PUBACK deferred until the frame is durable')

/** A QoS 1 delivery waiting for its PUBACK. */
interface Delivery {
  messageId: number
  durable: boolean
}

/**
 * Reads frames from an external broker (Mosquitto, EMQX) through `$share/<group>/…`, so any number of
 * gateways can split the fleet. The session is persistent (clean: false, fixed client id). A frame's PUBACK
 * is sent only once the frame is durable; meanwhile reading goes on, bounded by the Receive Maximum we
 * advertise, so one WAL group commit acknowledges many frames at once. PUBACKs leave in delivery order.
 */
export class ExternalSource implements FrameSource {
  private client: MqttClient | undefined
  private readonly log: Logger
  private readonly url: string
  private readonly receiveMaximum: number

  constructor(private readonly opts: ExternalSourceOptions) {
    let u: URL
    try {
      u = new URL(opts.url)
    } catch {
      throw new ConfigError(`ExternalSource url is not a URL: '${opts.url}'`)
    }
    if (!['mqtt:', 'mqtts:', 'tcp:', 'ssl:'].includes(u.protocol)) {
      throw new ConfigError(`ExternalSource url must be mqtt:// or mqtts://, got '${u.protocol}'`)
    }
    this.receiveMaximum = opts.receiveMaximum ?? 65_535
    if (!Number.isInteger(this.receiveMaximum) || this.receiveMaximum < 1 || this.receiveMaximum > 65_535) {
      throw new ConfigError(`ExternalSource receiveMaximum must be an integer from 1 to 65535, got ${String(opts.receiveMaximum)}`)
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
    const client = mqtt.connect(this.url, {
      clientId: this.opts.clientId ?? `tapflow-gw-${hostname()}-${group}`,
      protocolVersion: 5,
      clean: false,
      properties: { sessionExpiryInterval: this.opts.sessionExpirySeconds ?? 86_400, receiveMaximum: this.receiveMaximum },
      reconnectPeriod: 1000,
      username: this.opts.username,
      password: this.opts.password,
    })
    this.client = client
    this.deliverTo(client, handler)
    await new Promise<void>((resolve, reject) => {
      const fail = (err: MqttError): void => {
        client.off('connect', onConnect)
        client.end(true)
        reject(err)
      }
      const onError = (err: Error & { code?: number | string }): void => {
        const code = typeof err.code === 'number' ? err.code : 0x80
        if (PROTOCOL_REFUSED.has(code)) {
          fail(new MqttError(`broker ${this.url} refused MQTT 5 (CONNACK ${code}): the gateway needs MQTT 5's Receive Maximum to hold each PUBACK until its frame is durable; use an MQTT 5 broker (Mosquitto 1.6+, EMQX)`, code, { cause: err }))
        } else fail(new MqttError(`cannot connect to ${this.url}: ${errorMessage(err)}`, code, { cause: err }))
      }
      // A broker that predates MQTT 5 may close the connection without a CONNACK instead of refusing it.
      const onClose = (): void => fail(new MqttError(`broker ${this.url} closed the connection before accepting it; it may not speak MQTT 5, which the gateway needs`, 0x84))
      const onConnect = (): void => {
        // Only the first connect may fail the start; later errors (a broker restart) must leave mqtt.js reconnecting.
        client.off('error', onError)
        client.off('close', onClose)
        resolve()
      }
      client.once('error', onError)
      client.once('close', onClose)
      client.once('connect', onConnect)
    })
    client.on('connect', (ack) => {
      this.log.info({ url: this.url, sessionPresent: ack.sessionPresent }, 'reconnected to external broker')
      // mqtt.js resubscribes only when the session is gone; Mosquitto 2.0 can restore a session without its
      // $share subscriptions, so subscribe again every time (idempotent when they are there).
      if (ack.sessionPresent !== true || !shared) return
      client.unsubscribeAsync(filters).then(() => client.subscribeAsync(filters, { qos: 1 })).catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, 'resubscribe failed'))
    })
    client.on('error', (err) => this.log.warn({ err: errorMessage(err) }, 'mqtt error'))
    filters.push(`$share/${group}/${GROUND_TRUTH_TOPIC}`)
    const granted = await client.subscribeAsync(filters, { qos: 1 })
    const refused = granted.filter((g) => g.qos >= 0x80)
    if (refused.length > 0) throw new MqttError(`broker refused subscription ${refused[0]!.topic}`, refused[0]!.qos)
    this.log.info({ url: this.url, filters, receiveMaximum: this.receiveMaximum }, 'subscribed to external broker')
  }

  /**
   * mqtt.js handles one packet at a time and, for QoS 1, sends the PUBACK once `handleMessage` calls back,
   * then reads the next packet. So `handleMessage` hands the frame on and calls back at once with
   * PUBACK_DEFERRED; the PUBACK is written here when the frame is durable, after every earlier delivery's.
   */
  private deliverTo(client: MqttClient, handler: FrameHandler): void {
    let queue: Delivery[] = []
    let head = 0
    // PUBACKs belong to the connection that delivered the frame. After a reconnect the broker redelivers what
    // was not acknowledged, and a stale PUBACK could acknowledge a new message that reused its packet id.
    client.on('close', () => {
      queue = []
      head = 0
    })
    const flush = (): void => {
      while (head < queue.length && queue[head]!.durable) {
        client['_sendPacket']({ cmd: 'puback', messageId: queue[head]!.messageId, reasonCode: 0 })
        head++
      }
      if (head > 4096 && head * 2 > queue.length) {
        queue = queue.slice(head)
        head = 0
      }
    }
    client.handleMessage = (packet: IPublishPacket, callback): void => {
      if (packet.qos !== 1 || packet.messageId === undefined || !client.connected) {
        // QoS 0 has nothing to acknowledge; a frame read after the connection dropped is redelivered anyway.
        handler(packet.topic, packet.payload as Buffer, noop)
        callback(packet.qos === 1 ? PUBACK_DEFERRED : undefined)
        return
      }
      const d: Delivery = { messageId: packet.messageId, durable: false }
      const mine = queue
      mine.push(d)
      handler(packet.topic, packet.payload as Buffer, () => {
        d.durable = true
        if (mine === queue && client.connected) flush()
      })
      callback(PUBACK_DEFERRED)
    }
  }

  connectedDevices(): undefined {
    return undefined
  }

  async close(): Promise<void> {
    const c = this.client
    this.client = undefined
    if (c !== undefined) await c.endAsync()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

function noop(): void {}
