import { Command, Option } from 'commander'
import { ConfigError, SAMPLE_EVERY, type Logger } from '../../common/index.js'
import { writeFileSync } from 'node:fs'
import { duration, instant, int, speed, url } from '../options.js'
import { onShutdown } from '../shutdown.js'

export function registerSim(program: Command, deps: { logger: Logger }): void {
  program
    .command('sim')
    .description('run the simulated fleet alone, publishing to a broker (for multi-process and multi-machine runs)')
    .addOption(new Option('--broker <url>', 'MQTT broker').default('mqtt://127.0.0.1:1883').argParser(url(['mqtt:', 'mqtts:'])))
    .addOption(new Option('--devices <n>', 'number of smart taps in the whole fleet').default(2000).argParser(int(1, 1_000_000)))
    .addOption(new Option('--seed <n>', 'seed for the fleet and every device').default(42).argParser(int(0, 2 ** 31)))
    .addOption(new Option('--manifest <file>', 'fleet manifest (YAML); replaces --devices and --seed'))
    .addOption(new Option('--grpc-port <port>', 'serve FleetService (gRPC) for this process\'s devices on this port (default: off)').argParser(int(0, 65_535)))
    .addOption(new Option('--shard <i/N>', 'run only shard i of N (devices whose index % N == i)').default('0/1'))
    .addOption(new Option('--speed <x>', "simulated seconds per real second, or 'max'").default(1).argParser(speed))
    .addOption(new Option('--start <time>', "simulated start (ISO date-time or 'now'); simulated time never passes the real clock (default: now, or --duration (else 24h) before now when --speed is faster than 1)").argParser(instant))
    .addOption(new Option('--duration <d>', 'stop after this much simulated time (e.g. 24h)').argParser(duration))
    .addOption(new Option('--qos <n>', 'MQTT QoS for telemetry').default(1).argParser(int(0, 1)))
    .addOption(new Option('--fleet-key <file>', "the gateway's fleet secret (<data-dir>/security/fleet.key): each device connects with its own derived credentials"))
    .addOption(new Option('--batch <n>', 'frames per MQTT message (TelemetryBatch on …/batch); 1 = one frame per message').default(1).argParser(int(1, 1000)))
    .addOption(new Option('--max-frames <n>', 'stop after publishing this many frames').argParser(int(1, 1_000_000_000)))
    .addOption(new Option('--max-in-flight <n>', 'unacknowledged frames before the fleet is held back').default(4000).argParser(int(1, 10_000_000)))
    .addOption(new Option('--sample-every <n>', 'with --result: record the publish time of frames whose seq is a multiple of n').default(SAMPLE_EVERY).argParser(int(1, 1_000_000)))
    .addOption(new Option('--result <file>', 'write a JSON result (counts, last seq per device, sampled publish times, CPU, RSS) when done'))
    .action(async (o: SimOptions) => {
      // Loaded here, not at the top: defining the command (and `tapflow sim --help`) stays light. The gateway's
      // modules only with --fleet-key: `tapflow load`'s simulators go without.
      const [{ MqttTransport, Simulator, parseShard, simResult }, { fleetFromOptions, startFleetControl }, { WallBoundClock }] = await Promise.all([
        import('../../firmware-sim/index.js'), import('./fleet.js'), import('../wall-bound-clock.js'),
      ])
      const log = deps.logger
      const shard = parseShard(o.shard)
      const start = o.start ?? (o.speed === 'max' || o.speed > 1 ? Date.now() - (o.duration ?? DAY_MS) : Date.now())
      const clock = new WallBoundClock({ start, speed: o.speed })
      const { fleet, profiles, firmware } = await fleetFromOptions(o)
      const authority = o.fleetKey === undefined ? undefined : (await import('../../edge-gateway/index.js')).FleetAuthority.fromFile(o.fleetKey, { create: false })
      if (o.grpcPort !== undefined && authority === undefined) throw new ConfigError('--grpc-port needs --fleet-key: FleetService calls are signed with the fleet key')
      const venueOf = new Map(fleet.devices.map((d) => [d.deviceId, d.venueId]))
      const transport = new MqttTransport({
        url: o.broker, qos: o.qos as 0 | 1, batch: o.batch, maxInFlight: o.maxInFlight, logger: log,
        credentials: authority && ((id) => authority.device(venueOf.get(id) ?? '', id)), recorderCredentials: authority?.tool('sim'),
      })
      const samples: [string, number, number][] = []
      let startupCpu: NodeJS.CpuUsage | undefined
      const sim = new Simulator({
        fleet, clock, transport, shard, logger: log, profiles, firmware, maxFrames: o.maxFrames,
        until: o.duration === undefined ? undefined : start + o.duration,
        // Wall-clock publish times of sampled seqs, joined with insert times by `tapflow load` for freshness.
        onFrame: o.result === undefined ? undefined : (f) => {
          startupCpu ??= process.cpuUsage()
          if (f.seq % o.sampleEvery === 0) samples.push([f.deviceId, f.seq, performance.timeOrigin + performance.now()])
        },
      })
      const control = o.grpcPort === undefined || authority === undefined ? undefined : await startFleetControl({ sim, authority, mqttUrl: (await import('../stack.js')).withCredentials(o.broker, authority.tool('fleet')), host: '127.0.0.1', port: o.grpcPort, now: () => clock.now(), logger: log })
      const progress = setInterval(() => log.info({ sent: transport.stats.sent, acked: transport.stats.acked, simTime: new Date(clock.now()).toISOString() }, 'progress'), 10_000)
      let stopped: Promise<void> | undefined
      const stop = (): Promise<void> =>
        (stopped ??= (async () => {
          clearInterval(progress)
          await control?.close()
          await sim.close()
          log.info({ ...transport.stats, frames: sim.stats.frames }, 'fleet stopped')
          if (o.result !== undefined) writeFileSync(o.result, JSON.stringify(simResult(sim, transport.stats, samples, startupCpu ?? process.cpuUsage())))
        })())
      onShutdown(stop, log)
      await sim.start()
      if (stopped === undefined) {
        await stop()
        process.exit(0)
      }
    })
}

const DAY_MS = 86_400_000

interface SimOptions {
  fleetKey?: string
  manifest?: string
  grpcPort?: number
  broker: string
  devices: number
  seed: number
  shard: string
  speed: number | 'max'
  start?: number
  duration?: number
  qos: number
  batch: number
  maxFrames?: number
  maxInFlight: number
  result?: string
  sampleEvery: number
}
