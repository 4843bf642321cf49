import mqtt, { type MqttClient } from 'mqtt'
import { ConfigError, MqttError, errorMessage, silentLogger, type Logger } from '../../../common/index.js'
import { FRAME_KINDS, TOPIC_ROOT } from '../../../proto/index.js'
import type { FrameHandler, FrameSource } from './source.js'

export interface ExternalSourceOptions {
  /** Broker URL, mqtt:// or mqtts://. */
  url: string
  /** Shared-subscription group; gateways in one group split the load. Default: tapflow-gateway. */
  group?: string
  /** Client id. Default: tapflow-gw-<pid>. */
  clientId?: string
  username?: string
  password?: string
  logger?: Logger
}

/**
 * Reads frames from an external broker (Mosquitto, EMQX) through `$share/<group>/…`, so any number of
 * gateways can split the fleet. Frames are acknowledged to the broker on receipt.
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
    const client = mqtt.connect(this.url, {
      clientId: this.opts.clientId ?? `tapflow-gw-${process.pid}`,
      protocolVersion: 5,
      clean: true,
      reconnectPeriod: 1000,
      username: this.opts.username,
      password: this.opts.password,
    })
    this.client = client
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve())
      client.once('error', (err) => {
        client.end(true)
        reject(new MqttError(`cannot connect to ${this.url}: ${errorMessage(err)}`, (err as { code?: number }).code ?? 0x80, { cause: err }))
      })
    })
    client.on('error', (err) => this.log.warn({ err: errorMessage(err) }, 'mqtt error'))
    client.on('message', (topic, payload) => handler(topic, payload, noop))
    const filters = FRAME_KINDS.map((k) => `$share/${group}/${TOPIC_ROOT}/+/+/${k}`)
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

function noop(): void {}
