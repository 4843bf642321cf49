import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { MqttError, errorMessage, silentLogger, type Logger } from '../../../common/index.js'
import { encodeBatch, topicFor } from '../../../proto/index.js'
import type { DeviceSpec, Frame } from '../device/types.js'
import type { CommandHandler, DeviceTransport, TransportStats } from './transport.js'

export interface MqttTransportOptions {
  /** Broker URL. Default: mqtt://127.0.0.1:1883. */
  url?: string
  /** QoS for telemetry. Default: 1. */
  qos?: 0 | 1
  /** Unacknowledged frames across the fleet before the scheduler is held back. Default: 4000. */
  maxInFlight?: number
  /** Frames packed into one MQTT message (a TelemetryBatch on …/batch); 1 sends each frame alone. Default: 1. */
  batch?: number
  /** Sessions opened at once while connecting. Default: 250. */
  connectConcurrency?: number
  /** Password for device `id`; the broker may require one. Default: none. */
  credentials?: (deviceId: string) => { username: string; password: string } | undefined
  /** Credentials for the simulator's own session (ground truth). Default: none. */
  recorderCredentials?: { username: string; password: string }
  /** Give up connecting a device after this long, ms. Default: 30000. */
  connectTimeoutMs?: number
  /**
   * How long close() waits for outstanding PUBACKs before it closes the sessions anyway, ms. A broker that
   * never acknowledges (a revoked device, a broker that went away) must not hang shutdown. Default: 30000.
   */
  drainTimeoutMs?: number
  logger?: Logger
}

/**
 * Per-message costs of mqtt.js that a fleet of thousands of sessions pays on every publish and PUBACK: a debug call
 * per step (a dozen per publish, even when disabled) and a keepalive timer re-armed on every packet. Pings then go
 * every keepalive/2 whatever the traffic, which costs a few per second for the whole fleet. `DEBUG=mqttjs*` keeps
 * mqtt.js's own logging.
 */
const HOT_PATH: Pick<IClientOptions, 'log' | 'reschedulePings'> = {
  reschedulePings: false,
  ...(/mqttjs/.test(process.env.DEBUG ?? '') ? {} : { log: () => undefined }),
}

/**
 * One MQTT session per device, as a real tap has: client id = device id, a retained `online` on
 * …/status, and a Last Will that turns it to `offline` if the session dies.
 */
export class MqttTransport implements DeviceTransport {
  readonly stats: TransportStats = { sent: 0, acked: 0, failed: 0 }
  private readonly opts: Required<Omit<MqttTransportOptions, 'credentials' | 'recorderCredentials' | 'logger'>>
  private readonly recorderCredentials: MqttTransportOptions['recorderCredentials']
  private readonly credentials: MqttTransportOptions['credentials']
  private readonly log: Logger
  private readonly clients = new Map<string, MqttClient>()
  private readonly statusTopics = new Map<string, string>()
  private inFlight = 0
  private readonly batches = new Map<string, PendingBatch>()
  private waiters: (() => void)[] = []
  private drained: (() => void)[] = []
  private commandHandler: CommandHandler | undefined
  /** The simulator's own session, for ground-truth records: not a device's. */
  private recorder: MqttClient | undefined

  constructor(opts: MqttTransportOptions = {}) {
    this.opts = {
      url: opts.url ?? 'mqtt://127.0.0.1:1883',
      qos: opts.qos ?? 1,
      maxInFlight: opts.maxInFlight ?? 4000,
      batch: opts.batch ?? 1,
      connectConcurrency: opts.connectConcurrency ?? 250,
      connectTimeoutMs: opts.connectTimeoutMs ?? 30_000,
      drainTimeoutMs: opts.drainTimeoutMs ?? 30_000,
    }
    this.credentials = opts.credentials
    this.recorderCredentials = opts.recorderCredentials
    this.log = (opts.logger ?? silentLogger).child({ component: 'sim-mqtt' })
  }

  get unacked(): number {
    return this.inFlight
  }

  onCommand(handler: CommandHandler): void {
    this.commandHandler = handler
  }

  async connect(devices: readonly DeviceSpec[]): Promise<void> {
    this.recorder ??= await mqtt.connectAsync(this.opts.url, {
      clientId: `tapflow-sim-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: this.opts.connectTimeoutMs,
      ...this.recorderCredentials,
    })
    // Connecting twice would make the broker take over each session and the clients fight to reconnect.
    const queue = devices.filter((d) => !this.clients.has(d.deviceId))
    const worker = async (): Promise<void> => {
      for (let d = queue.shift(); d !== undefined; d = queue.shift()) await this.connectOne(d)
    }
    await Promise.all(Array.from({ length: Math.min(this.opts.connectConcurrency, queue.length) }, worker))
    this.log.info({ devices: devices.length, url: this.opts.url }, 'device sessions connected')
  }

  private connectOne(d: DeviceSpec): Promise<void> {
    const status = topicFor(d.venueId, d.deviceId, 'status')
    const options: IClientOptions = {
      clientId: d.deviceId,
      protocolVersion: 4,
      clean: true,
      keepalive: 60,
      reconnectPeriod: 1000,
      connectTimeout: this.opts.connectTimeoutMs,
      will: { topic: status, payload: Buffer.from('offline'), qos: 1, retain: true },
      ...HOT_PATH,
      ...this.credentials?.(d.deviceId),
    }
    const client = mqtt.connect(this.opts.url, options)
    this.clients.set(d.deviceId, client)
    this.statusTopics.set(d.deviceId, status)
    const cmd = topicFor(d.venueId, d.deviceId, 'cmd')
    client.on('connect', () => {
      client.publish(status, 'online', { qos: 1, retain: true })
      // Each tap listens on its own …/cmd only.
      if (this.commandHandler !== undefined) client.subscribe(cmd, { qos: 1 })
    })
    client.on('message', (topic, payload) => {
      if (topic === cmd) this.commandHandler?.(d.deviceId, payload)
    })
    return new Promise((resolve, reject) => {
      const onError = (err: Error & { code?: number }): void => {
        client.end(true)
        reject(new MqttError(`device ${d.deviceId} could not connect to ${this.opts.url}: ${errorMessage(err)}`, err.code ?? 0x80, { cause: err }))
      }
      client.once('error', onError)
      client.once('connect', () => {
        client.off('error', onError)
        client.on('error', (err) => this.log.warn({ device: d.deviceId, err: errorMessage(err) }, 'mqtt error'))
        resolve()
      })
    })
  }

  publish(frame: Frame): void {
    const client = this.clients.get(frame.deviceId)
    if (client === undefined) throw new MqttError(`no session for device ${frame.deviceId}`, 0x80)
    this.stats.sent++
    if (this.opts.batch <= 1) {
      this.send(client, frame.deviceId, frame.topic, frame.payload, 1)
      return
    }
    let b = this.batches.get(frame.deviceId)
    if (b === undefined) {
      b = { frames: [], topic: frame.topic.slice(0, frame.topic.lastIndexOf('/') + 1) + 'batch' }
      this.batches.set(frame.deviceId, b)
    }
    b.frames.push(frame)
    if (b.frames.length >= this.opts.batch) this.sendBatch(frame.deviceId, b)
  }

  private sendBatch(deviceId: string, b: PendingBatch): void {
    const n = b.frames.length
    if (n === 0) return
    const payload = encodeBatch(b.frames)
    b.frames.length = 0
    this.send(this.clients.get(deviceId)!, deviceId, b.topic, payload, n)
  }

  /** One MQTT message carrying `frames` frames; they are acknowledged together. */
  private send(client: MqttClient, deviceId: string, topic: string, payload: Uint8Array, frames: number): void {
    this.inFlight += frames
    client.publish(topic, payload as Buffer, { qos: this.opts.qos }, (err) => {
      this.inFlight -= frames
      if (err) {
        this.stats.failed += frames
        this.log.warn({ device: deviceId, frames, err: errorMessage(err) }, 'publish failed')
      } else {
        this.stats.acked += frames
      }
      if (this.inFlight <= this.opts.maxInFlight / 2 && this.waiters.length > 0) this.release(this.waiters)
      if (this.inFlight === 0 && this.drained.length > 0) this.release(this.drained)
    })
  }

  publishRecord(topic: string, payload: Uint8Array): void {
    const client = this.recorder
    if (client === undefined) throw new MqttError('simulator session not connected: call connect() first', 0x80)
    this.inFlight++
    client.publish(topic, payload as Buffer, { qos: 1 }, (err) => {
      this.inFlight--
      if (err) this.log.warn({ topic, err: errorMessage(err) }, 'record publish failed')
      if (this.inFlight === 0 && this.drained.length > 0) this.release(this.drained)
    })
  }

  backpressure(): Promise<void> | undefined {
    if (this.inFlight < this.opts.maxInFlight) return undefined
    return new Promise((r) => this.waiters.push(r))
  }

  flush(): Promise<void> {
    for (const [id, b] of this.batches) this.sendBatch(id, b)
    if (this.inFlight === 0) return Promise.resolve()
    return new Promise((r) => this.drained.push(r))
  }

  /** Waits for every PUBACK (at most `drainTimeoutMs`), marks each device offline and ends its session. */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const drained = await Promise.race([
      this.flush().then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), this.opts.drainTimeoutMs))),
    ])
    clearTimeout(timer)
    // Undrained, a session still waits for PUBACKs that will not come; only a forced end leaves it.
    const force = !drained
    if (force) this.log.warn({ unacknowledged: this.inFlight, waitedMs: this.opts.drainTimeoutMs }, 'closing with frames still unacknowledged')
    await Promise.all(
      [...this.clients].map(async ([id, c]) => {
        if (c.connected && !force) await c.publishAsync(this.statusTopics.get(id)!, 'offline', { qos: 1, retain: true }).catch(() => undefined)
        await c.endAsync(force)
      }),
    )
    this.clients.clear()
    await this.recorder?.endAsync(force)
    this.recorder = undefined
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private release(list: (() => void)[]): void {
    const fns = list.splice(0)
    for (const fn of fns) fn()
  }
}

interface PendingBatch {
  /** Frames waiting for the batch to fill, encoded into one TelemetryBatch when it does. */
  frames: Frame[]
  topic: string
}
