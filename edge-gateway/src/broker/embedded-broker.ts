import { createServer, type Server } from 'node:net'
import { Aedes } from 'aedes'
import { listen, silentLogger, type Logger } from '../../../common/index.js'
import { GROUND_TRUTH_TOPIC, TOPIC_ROOT } from '../../../proto/index.js'
import type { FrameHandler, FrameSource } from './source.js'

export interface EmbeddedBrokerOptions {
  /** Bind address. Default: 127.0.0.1. */
  host?: string
  /** MQTT port; 0 picks a free one. Default: 1883. */
  port?: number
  /** Flag that changes the port, named in the busy-port error. Default: --mqtt-port. */
  portFlag?: string
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
  private handler: FrameHandler | undefined
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
    this.broker = await Aedes.createBroker({
      published: (packet, _client, done) => {
        const topic = packet.topic
        const h = this.handler
        const telemetry = topic.startsWith(prefix) && !PASS_THROUGH.has(topic.slice(topic.lastIndexOf('/') + 1))
        if (h === undefined || !(telemetry || topic === GROUND_TRUTH_TOPIC)) {
          done()
          return
        }
        h(topic, packet.payload as Buffer, () => done())
      },
    })
    this.broker.on('clientError', (client, err) => this.log.debug({ client: client.id, err: err.message }, 'client error'))
    this.server = createServer(this.broker.handle)
    this.port = await listen(this.server, this.opts.port ?? 1883, this.opts.host ?? '127.0.0.1', this.opts.portFlag ?? '--mqtt-port')
    this.log.info({ url: this.url }, 'embedded MQTT broker listening')
  }

  async start(handler: FrameHandler): Promise<void> {
    if (this.broker === undefined) await this.listen()
    this.handler = handler
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
  }
}
