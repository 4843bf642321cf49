import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Command, Option } from 'commander'
import { ConfigError, ResourceStack, parseDatabaseUrl, type Logger } from '../../common/index.js'
import type { OnlineFeatureReader } from '../../cloud/index.js'
import { duration, port } from '../options.js'
import { onShutdown } from '../shutdown.js'
import { readStackInfo } from '../stack-file.js'
import { readFleetKey } from './fleet.js'

interface ServeFlags {
  dataDir: string
  databaseUrl?: string
  featuresUrl?: string
  onlineStore?: string
  fleetKey?: string
  host: string
  port: number
  models: string[]
  reloadEvery: number
}

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s !== '')

export function registerServe(program: Command, deps: { logger: Logger }): void {
  program
    .command('serve')
    .description('run the inference service alone (InferenceService on gRPC), for a separate deployment: the registry\'s champions, features from an online store or a FeatureService')
    .addOption(new Option('--data-dir <dir>', 'data directory: the embedded PostgreSQL holding the registry, artifacts under <dir>/models, the fleet key').default('./data'))
    .addOption(new Option('--database-url <url>', 'the registry\'s PostgreSQL server instead (postgres://user:pass@host:5432/db)').env('DATABASE_URL')
      .argParser((v: string) => { parseDatabaseUrl(v); return v }))
    .addOption(new Option('--features-url <host:port>', 'read online features from this FeatureService (a running stack\'s; judged against its clock)'))
    .addOption(new Option('--online-store <target>', 'or read them from this online store: redis://host:port, or a directory (default: <data-dir>/online, LMDB)').conflicts('featuresUrl'))
    .addOption(new Option('--fleet-key <file>', 'fleet secret that signs and checks credentials (default: <data-dir>/security/fleet.key)'))
    .addOption(new Option('--host <addr>', 'bind address').default('127.0.0.1'))
    .addOption(new Option('--port <port>', 'InferenceService (gRPC) port').default(50053).argParser(port))
    .addOption(new Option('--models <list>', 'registered models to serve, comma-separated; the first is the default').default(['maintenance'], 'maintenance').argParser(list))
    .addOption(new Option('--reload-every <d>', 'look for a newly promoted champion this often (real time)').default(5_000, '5s').argParser(duration))
    .action(async (o: ServeFlags) => {
      const log = deps.logger
      const stackInfo = readStackInfo(o.dataDir)
      if (o.databaseUrl === undefined) {
        if (stackInfo !== undefined) {
          throw new ConfigError(`a running tapflow owns ${o.dataDir}${stackInfo.inferenceUrl === undefined ? '' : ` and serves InferenceService at ${stackInfo.inferenceUrl}`}: for a separate deployment pass --database-url (the registry's PostgreSQL)`)
        }
        if (!existsSync(join(o.dataDir, 'postgres', 'PG_VERSION'))) throw new ConfigError(`no model registry in ${o.dataDir}: train a model first (tapflow models train), or pass --data-dir / --database-url`)
      }
      const [{ openDatabase }, { startInference }] = await Promise.all([import('../../cloud/index.js'), import('../inference-up.js')])
      const auth = await readFleetKey(o)
      const res = new ResourceStack({ logger: log })
      try {
        const online = await onlineReader(o, auth.control('inference.serve'), stackInfo?.featuresUrl, res)
        const db = res.use('registry database', await openDatabase({ dataDir: o.dataDir, databaseUrl: o.databaseUrl, logger: log.child({ component: 'registry' }, { level: 'error' }) }))
        const up = res.use('inference service', await startInference({ db, dataDir: o.dataDir, online: online.reader, auth, host: o.host, port: o.port, models: o.models, reloadEveryMs: o.reloadEvery, portFlag: '--port', logger: log }))
        process.stderr.write(
          `\nInferenceService on grpc://${up.url}: ${o.models.join(', ')} (the registry's champions, reloaded every ${o.reloadEvery / 1000} s)\n` +
            `  features ${online.from}\n  auth     Bearer tool:<name>:<token> from the fleet key (FleetAuthority.control)\n  Ctrl-C stops.\n\n`,
        )
      } catch (err) {
        await res.close()
        throw err
      }
      // The gRPC server keeps the process alive until a signal closes everything.
      onShutdown(() => res.close(), log)
    })
}

/** A FeatureService when given one (or the running stack's), else the online store read directly. */
async function onlineReader(o: ServeFlags, credentials: { username: string; password: string }, stackFeatures: string | undefined, res: ResourceStack): Promise<{ reader: OnlineFeatureReader; from: string }> {
  const { FeatureClient, FeatureStore, openOnlineStore } = await import('../../cloud/index.js')
  const address = o.featuresUrl ?? (o.onlineStore === undefined ? stackFeatures : undefined)
  if (address !== undefined) {
    const client = new FeatureClient({ address, credentials })
    res.use('feature client', client)
    return { reader: { getOnlineFeatures: async (r) => (await client.getOnlineFeatures(r)).rows }, from: `FeatureService grpc://${address}` }
  }
  const online = await openOnlineStore(o.onlineStore ?? join(o.dataDir, 'online'))
  res.use('online store', online)
  // No stack, no clock of its own: freshness is judged against the last materialization, as `features get` does.
  let at = (await online.lastMaterialized('device')) ?? Date.now()
  const timer = setInterval(() => void online.lastMaterialized('device').then((t) => { if (t !== undefined) at = t }, () => undefined), 1_000)
  res.defer('freshness clock', () => clearInterval(timer))
  // Only the online side is used: no ClickHouse behind it.
  const store = new FeatureStore({ clickhouse: undefined as never, online, clock: { now: () => at } })
  return { reader: store, from: `${online.location} (freshness as of the last materialization)` }
}
