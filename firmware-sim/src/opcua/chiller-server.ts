import type { OPCUAServer, UAVariable } from 'node-opcua'
import { silentLogger, type Logger } from '../../../common/index.js'

export interface ChillerServerOptions {
  /** The venue this cellar chiller cools; also its chiller id (`chiller-<venue>`). */
  venueId: string
  /** OPC-UA port; 0 is not supported by node-opcua, so pick a free one. Default: 4840. */
  port?: number
  /** How often the simulated plant updates its readings, ms. Default: 1000. */
  tickMs?: number
  /** Seed for the measurement noise, so runs are repeatable. Default: 1. */
  seed?: number
  logger?: Logger
}

/** The variables every chiller exposes, as `ns=1;s=<name>`. */
export const CHILLER_METRICS = ['supply_temp_c', 'return_temp_c', 'compressor_current_a', 'pressure_bar', 'alarms'] as const
export type ChillerMetric = (typeof CHILLER_METRICS)[number]

/** Alarm bits in the `alarms` variable. */
export const CHILLER_ALARMS = { highSupplyTemp: 1, compressorFault: 2, lowPressure: 4 } as const

/**
 * A cellar glycol chiller as an OPC-UA server, one per venue. It holds the glycol at ~-2 °C; with the
 * cooling-failure flag set (the failure-profile engine drives it through `setCoolingFailure`) the compressor
 * trips, pressure falls, supply temperature drifts up and alarms are raised, as a real unit would.
 */
export class ChillerServer {
  private server: OPCUAServer | undefined
  /** node-opcua is large: loaded on first start, so importing firmware-sim stays cheap. */
  private lib: typeof import('node-opcua') | undefined
  private timer: NodeJS.Timeout | undefined
  private readonly vars = new Map<ChillerMetric, UAVariable>()
  private failing = false
  private state = { supply: -2, ret: 1.5, current: 8, pressure: 3.2 }
  private rand: () => number
  private readonly log: Logger

  constructor(private readonly opts: ChillerServerOptions) {
    this.log = (opts.logger ?? silentLogger).child({ component: 'chiller', venue: opts.venueId })
    let a = (opts.seed ?? 1) >>> 0
    this.rand = () => {
      a = (a * 1664525 + 1013904223) >>> 0
      return a / 4294967296
    }
  }

  get chillerId(): string {
    return `chiller-${this.opts.venueId}`
  }

  get endpointUrl(): string {
    return `opc.tcp://127.0.0.1:${this.opts.port ?? 4840}/tapflow`
  }

  /** Cooling failure on or off; the readings respond over the next ticks. */
  setCoolingFailure(on: boolean): void {
    this.failing = on
  }

  get coolingFailure(): boolean {
    return this.failing
  }

  async start(): Promise<void> {
    const lib = (this.lib ??= await import('node-opcua'))
    const server = new lib.OPCUAServer({ port: this.opts.port ?? 4840, hostname: '127.0.0.1', resourcePath: '/tapflow', buildInfo: { productName: `TapFlow chiller ${this.opts.venueId}` } })
    await server.initialize()
    const space = server.engine.addressSpace!
    const ns = space.getOwnNamespace()
    const obj = ns.addObject({ organizedBy: space.rootFolder.objects, browseName: this.chillerId })
    for (const m of CHILLER_METRICS) {
      const v = ns.addVariable({ componentOf: obj, browseName: m, nodeId: `s=${m}`, dataType: m === 'alarms' ? 'UInt32' : 'Double', minimumSamplingInterval: 100 })
      this.vars.set(m, v)
    }
    this.publish()
    await server.start()
    this.server = server
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 1000)
    this.log.info({ url: this.endpointUrl }, 'chiller OPC-UA server listening')
  }

  private tick(): void {
    const s = this.state
    const noise = (x: number): number => (this.rand() - 0.5) * x
    if (this.failing) {
      s.current = Math.max(0, s.current * 0.5 + noise(0.2))
      s.pressure = Math.max(0.4, s.pressure - 0.3)
      s.supply = Math.min(12, s.supply + 0.8 + noise(0.1))
    } else {
      s.current = 8 + noise(0.6)
      s.pressure = Math.min(3.2, s.pressure + 0.3) + noise(0.05)
      s.supply = Math.max(-2, s.supply - 0.5) + noise(0.05)
    }
    s.ret = s.supply + 3.5 + noise(0.1)
    this.publish()
  }

  private publish(): void {
    const s = this.state
    let alarms = 0
    if (s.supply > 4) alarms |= CHILLER_ALARMS.highSupplyTemp
    if (s.current < 1) alarms |= CHILLER_ALARMS.compressorFault
    if (s.pressure < 1.5) alarms |= CHILLER_ALARMS.lowPressure
    const values: Record<ChillerMetric, number> = { supply_temp_c: s.supply, return_temp_c: s.ret, compressor_current_a: s.current, pressure_bar: s.pressure, alarms }
    const lib = this.lib
    if (lib === undefined) return
    for (const [m, v] of this.vars) {
      v.setValueFromSource(new lib.Variant({ dataType: m === 'alarms' ? lib.DataType.UInt32 : lib.DataType.Double, value: values[m] }))
    }
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    const s = this.server
    this.server = undefined
    this.vars.clear()
    if (s !== undefined) await s.shutdown(0)
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}
