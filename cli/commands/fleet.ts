import { existsSync, readFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { basename, join } from 'node:path'
import { Command, InvalidArgumentError, Option } from 'commander'
import { ConfigError, errorMessage, type Logger } from '../../common/index.js'
import type { FleetAuthority } from '../../edge-gateway/index.js'
import type { FirmwareCatalogue, FleetClient, FleetControl, FleetEventMessage, FleetSpec, ProfileAssignment, Simulator } from '../../firmware-sim/index.js'
import { onShutdown } from '../shutdown.js'
import { beforeSubcommand, duration } from '../options.js'

/** The fleet to run: from --manifest when given, else generated from --devices and --seed. */
export async function fleetFromOptions(o: { manifest?: string; devices: number; seed: number }): Promise<{
  fleet: FleetSpec
  profiles: ProfileAssignment[]
  firmware?: FirmwareCatalogue
  label: string
}> {
  const { buildFleet, initialFleet, loadManifest, manifestAssignments } = await import('../../firmware-sim/index.js')
  if (o.manifest === undefined) return { fleet: buildFleet({ devices: o.devices, seed: o.seed }), profiles: [], label: 'generated' }
  const m = loadManifest(o.manifest)
  return { fleet: initialFleet(m), profiles: manifestAssignments(m), firmware: m.firmware, label: `manifest ${o.manifest}` }
}

/**
 * FleetService for a running simulator: gRPC on host:port, commands over MQTT to each device's …/cmd.
 * Every call must carry a tool credential derived from `authority` (the fleet key); refusals are logged rate-limited.
 */
export async function startFleetControl(o: { sim: Simulator; authority: FleetAuthority; mqttUrl: string; host: string; port: number; now: () => number; logger: Logger }): Promise<{ url: string; control: FleetControl; close(): Promise<void> }> {
  const [{ FleetControl, FleetService, MqttCommandBus }, { RateLimitedLog }] = await Promise.all([import('../../firmware-sim/index.js'), import('../../edge-gateway/index.js')])
  const bus = await MqttCommandBus.connect(o.mqttUrl)
  const control = new FleetControl({ sim: o.sim, bus, now: o.now, logger: o.logger })
  const refusals = new RateLimitedLog({ logger: o.logger.child({ component: 'fleet-service' }) })
  const service = new FleetService({
    control, authority: o.authority, host: o.host, port: o.port, logger: o.logger,
    onRefused: (reason, method) => refusals.warn(`fleet_call_refused`, { reason, method }, 'FleetService call refused: UNAUTHENTICATED'),
  })
  try {
    await service.listen()
  } catch (err) {
    await control.close()
    await bus.close()
    refusals.close()
    throw err
  }
  return {
    url: service.url,
    control,
    close: async () => {
      await service.close()
      await control.close()
      await bus.close()
      refusals.close()
    },
  }
}

const grpcUrl = new Option('--grpc-url <host:port>', 'FleetService of the running stack').default('127.0.0.1:50051')

/** How `tapflow fleet` proves who it is: a tool credential derived from the fleet key. */
interface CallerFlags {
  grpcUrl: string
  dataDir: string
  fleetKey?: string
  as: string
}

/** Adds --grpc-url, --data-dir, --fleet-key and --as to a command that calls FleetService. */
function callerOptions(cmd: Command): Command {
  return cmd
    .addOption(grpcUrl)
    .addOption(new Option('--data-dir <dir>', 'data directory of the running stack; its security/fleet.key signs the calls').default('./data'))
    .addOption(new Option('--fleet-key <file>', 'the fleet secret to sign calls with (default: <data-dir>/security/fleet.key)'))
    .addOption(new Option('--as <name>', 'tool identity recorded with every change (fleet events, tapflow.ground_truth.actor)').default(defaultToolName()).argParser(toolName))
}

function defaultToolName(): string {
  let user = 'user'
  try {
    user = userInfo().username
  } catch {
    // no passwd entry (some containers): keep the generic name
  }
  return `cli.${user.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60)}`
}

function toolName(v: string): string {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(v)) throw new InvalidArgumentError('expected 1-64 characters of A-Z a-z 0-9 _ . -')
  return v
}

/** The fleet secret for a CLI command: --fleet-key, else <data-dir>/security/fleet.key; missing is one clear line. */
export async function readFleetKey(o: { dataDir: string; fleetKey?: string }): Promise<FleetAuthority> {
  const { FleetAuthority } = await import('../../edge-gateway/index.js')
  const file = o.fleetKey ?? join(o.dataDir, 'security', 'fleet.key')
  if (!existsSync(file)) {
    throw new ConfigError(o.fleetKey === undefined
      ? `no fleet key at ${file}: pass the running stack's --data-dir, or --fleet-key <file>`
      : `fleet key ${file} does not exist`)
  }
  return FleetAuthority.fromFile(file, { create: false })
}

function percent(v: string): number {
  const n = Number(v.replace(/%$/, ''))
  if (!(n > 0 && n <= 100)) throw new InvalidArgumentError('expected a percentage, 0 < p <= 100')
  return n
}

function param(v: string, prev: Record<string, string> = {}): Record<string, string> {
  const m = /^([a-z_]+)=(.+)$/.exec(v)
  if (!m) throw new InvalidArgumentError(`expected key=value (e.g. onset=2h or max_rise_c=8), got '${v}'`)
  return { ...prev, [m[1]!]: m[2]! }
}

function stageInterval(v: string): number {
  return duration(v)
}

async function clientFor(o: CallerFlags): Promise<FleetClient> {
  const { FleetClient } = await import('../../firmware-sim/index.js')
  return new FleetClient({ url: o.grpcUrl, credentials: (await readFleetKey(o)).control(o.as) })
}

async function withClient<T>(o: CallerFlags, fn: (c: FleetClient) => Promise<T>): Promise<T> {
  const c = await clientFor(o)
  try {
    return await fn(c)
  } finally {
    c.close()
  }
}

export function registerFleet(program: Command, deps: { logger: Logger }): void {
  const fleet = program.command('fleet').description('flash firmware, inject failure profiles and inspect the running fleet (gRPC FleetService)')

  const flash = fleet
    .command('flash')
    .description('roll firmware out to the running fleet: a manifest\'s rollouts and profiles, or --firmware to --select in stages')
    .addOption(new Option('--manifest <file>', 'apply this manifest\'s rollouts and profile assignments (validated first; nothing changes if it is bad)').conflicts('firmware'))
    .addOption(new Option('--firmware <version>', 'firmware version to flash, e.g. 1.5.1'))
    .addOption(new Option('--select <selector>', "which devices, e.g. 'venue=ven-0003', 'type=pub region=uk', 'all'").default('all'))
    .addOption(new Option('--percent <p>', 'share of the selected devices').default(100).argParser(percent))
    .addOption(new Option('--stage <p>', 'share of the selected devices per stage (default: one stage)').argParser(percent))
    .addOption(new Option('--stage-interval <d>', 'real time between stages').default(0, '0s').argParser(stageInterval))
  callerOptions(flash).action(async (o: CallerFlags & { manifest?: string; firmware?: string; select: string; percent: number; stage?: number; stageInterval: number }) => {
      if (o.manifest !== undefined) {
        let text: string
        try {
          text = readFileSync(o.manifest, 'utf8')
        } catch (err) {
          throw new ConfigError(`cannot read manifest ${o.manifest}: ${errorMessage(err)}`)
        }
        const r = await withClient(o, (c) => c.applyManifest(text, basename(o.manifest!)))
        for (const n of r.notes) process.stderr.write(`note: ${n}\n`)
        process.stdout.write(`applied ${o.manifest}: ${r.devices_flashed} devices flashed, ${r.profiles_assigned} profile assignments\n`)
        return
      }
      if (o.firmware === undefined) throw new ConfigError('fleet flash needs --manifest <file> or --firmware <version>')
      const r = await withClient(o, (c) =>
        c.flash({ selector: o.select, firmware: o.firmware!, percent: o.percent, stage_percent: o.stage ?? o.percent, stage_interval_ms: o.stageInterval }),
      )
      process.stdout.write(`${r.rollout_id}: flashing ${r.device_ids.length} devices to ${o.firmware} in ${r.stages} stage(s)\n`)
      process.stdout.write(`  ${r.device_ids.slice(0, 20).join(' ')}${r.device_ids.length > 20 ? ` … (+${r.device_ids.length - 20})` : ''}\n`)
      process.stdout.write(`  watch: tapflow fleet ls --select 'firmware=${o.firmware}'   or   tapflow sql "SELECT firmware_version, uniqExact(device_id) FROM tapflow.health WHERE ts > now() - INTERVAL 1 HOUR GROUP BY 1"\n`)
    })

  // The profile names are firmware-sim's: loaded only for set-profile.
  const profile = new Option('--profile <name>', 'one of the failure profiles (tapflow fleet profiles)').makeOptionMandatory()
  beforeSubcommand(program, fleet, 'set-profile', async () => {
    const { PROFILES } = await import('../../firmware-sim/index.js')
    profile.description = `one of: ${[...PROFILES.keys()].join(', ')}`
  })
  const setProfile = fleet
    .command('set-profile')
    .description('put a failure profile on the selected devices of the running fleet (recorded in tapflow.ground_truth)')
    .requiredOption('--select <selector>', "which devices, e.g. 'venue=ven-0003' or 'device=tap-0001-01,tap-0001-02'")
    .addOption(profile)
    .addOption(new Option('--param <key=value>', 'profile parameter, repeatable: onset=2h progression=6h hazard_per_day=0.5 max_rise_c=8 …').argParser(param))
  callerOptions(setProfile).action(async (o: CallerFlags & { select: string; profile: string; param?: Record<string, string> }) => {
      const r = await withClient(o, (c) => c.setFailureProfile(o.select, o.profile, o.param ?? {}))
      process.stdout.write(`${o.profile} on ${r.device_ids.length} devices: ${r.device_ids.join(' ')}\n`)
      process.stdout.write(`  ground truth: tapflow sql "SELECT device_id, mode, onset_ts, failure_ts, parameters FROM tapflow.ground_truth FINAL WHERE mode = '${o.profile}'"\n`)
    })

  const ls = fleet
    .command('ls')
    .description('list devices of the running fleet with their live state')
    .addOption(new Option('--select <selector>', 'only these devices (default: all)'))
    .option('--json', 'one JSON object per device')
  callerOptions(ls).action(async (o: CallerFlags & { select?: string; json?: boolean }) => {
      const r = await withClient(o, (c) => c.listDevices(o.select ?? ''))
      if (o.json) {
        for (const d of r.devices) process.stdout.write(JSON.stringify(d) + '\n')
        return
      }
      const rows = r.devices.map((d) => [d.device_id, d.venue_id, d.firmware, String(d.reboot_count), String(d.last_seq), d.pending_command_id ? 'pending' : 'acked', d.profiles.join(',') || '-'])
      const head = ['DEVICE', 'VENUE', 'FIRMWARE', 'REBOOTS', 'SEQ', 'COMMAND', 'PROFILES (severity)']
      const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i]!.length)))
      for (const line of [head, ...rows]) process.stdout.write(line.map((c, i) => (i === line.length - 1 ? c : c.padEnd(w[i]!))).join('  ') + '\n')
      const byFw = new Map<string, number>()
      for (const d of r.devices) byFw.set(d.firmware, (byFw.get(d.firmware) ?? 0) + 1)
      process.stdout.write(`\n${r.devices.length} devices at ${new Date(r.sim_time_ms).toISOString()} (simulated); firmware: ${[...byFw].map(([f, n]) => `${f}×${n}`).join(', ')}\n`)
    })

  const events = fleet
    .command('events')
    .description('stream fleet events (commands sent and acknowledged, stages, profiles, and who asked) until Ctrl-C')
  callerOptions(events).action(async (o: CallerFlags) => {
      const [{ status }, { FleetError }] = await Promise.all([import('@grpc/grpc-js'), import('../../firmware-sim/index.js')])
      const c = await clientFor(o)
      const stream = c.streamEvents()
      await new Promise<void>((resolve, reject) => {
        onShutdown(async () => {
          stream.cancel()
          c.close()
        }, deps.logger)
        stream.on('data', (e: FleetEventMessage) =>
          process.stdout.write(`${new Date(e.ts_ms).toISOString()}  ${e.kind.padEnd(16)} ${e.device_id.padEnd(12)} ${e.detail}${e.actor ? `  (by ${e.actor})` : ''}\n`))
        stream.on('error', (err: Error & { code?: number }) => {
          if (err.code === status.CANCELLED) return resolve()
          if (err.code === status.UNAUTHENTICATED) return reject(new FleetError(`FleetService at ${o.grpcUrl} refused the credentials: ${err.message}`, err.code, { cause: err }))
          reject(new ConfigError(`cannot stream events from ${o.grpcUrl}: ${err.message}`))
        })
        stream.on('end', () => resolve())
      })
    })

  fleet
    .command('check')
    .description('validate a manifest without a running stack and summarise it')
    .requiredOption('--manifest <file>', 'manifest to check')
    .action(async (o: { manifest: string }) => {
      const { initialFleet, loadManifest, manifestAssignments } = await import('../../firmware-sim/index.js')
      const m = loadManifest(o.manifest)
      const a = manifestAssignments(m)
      const fw = new Map<string, number>()
      for (const d of initialFleet(m).devices) fw.set(d.firmware, (fw.get(d.firmware) ?? 0) + 1)
      process.stdout.write(`${o.manifest}: OK — '${m.name}', seed ${m.seed}, ${m.fleet.venues.length} venues, ${m.fleet.devices.length} taps\n`)
      process.stdout.write(`  firmware at start: ${[...fw].map(([f, n]) => `${f}×${n}`).join(', ')}\n`)
      const byProfile = new Map<string, number>()
      for (const x of a) byProfile.set(x.profile, (byProfile.get(x.profile) ?? 0) + 1)
      process.stdout.write(`  profiles: ${[...byProfile].map(([p, n]) => `${p}×${n}`).join(', ') || 'none'}\n`)
    })

  fleet
    .command('profiles')
    .description('list the failure-profile library and each profile\'s parameters')
    .action(async () => {
      const { PROFILES, TIMING_PARAMS, formatDuration } = await import('../../firmware-sim/index.js')
      const fmt = (s: { default: number; min: number; max: number; unit?: 'ms'; doc: string }): string => {
        const f = (x: number): string => (s.unit === 'ms' ? formatDuration(x) : String(x))
        return `default ${f(s.default)}, ${f(s.min)}..${f(s.max)}: ${s.doc}`
      }
      process.stdout.write('every profile takes:\n')
      for (const [k, s] of Object.entries(TIMING_PARAMS)) process.stdout.write(`  ${k.padEnd(16)} ${fmt(s)}\n`)
      for (const p of PROFILES.values()) {
        process.stdout.write(`\n${p.name} (${p.kind}): ${p.summary}\n`)
        for (const [k, s] of Object.entries(p.params)) process.stdout.write(`  ${k.padEnd(16)} ${fmt(s)}\n`)
      }
    })
}
