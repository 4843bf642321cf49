import { createWriteStream, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { finished } from 'node:stream/promises'
import type { DataFormat } from '@clickhouse/client'
import { Command, InvalidArgumentError, Option } from 'commander'
import { ConfigError, formatDuration, silentLogger, type Clock } from '../../common/index.js'
import type { EmbeddedPostgresHandle, EntityRow, FeatureStore, FeatureValue, OnlineRow, OnlineStore } from '../../cloud/index.js'
import { instant, url } from '../options.js'
import { readStackInfo } from '../stack-file.js'
import { readFleetKey } from './fleet.js'

/** The feature store's modules, loaded when a features subcommand runs, so defining the commands stays light. */
async function engines() {
  const [cloud, { openTelemetryClient }] = await Promise.all([import('../../cloud/index.js'), import('../telemetry-client.js')])
  return { ...cloud, openTelemetryClient }
}

interface SourceFlags {
  dataDir: string
  clickhouseUrl?: string
  onlineStore?: string
  businessUrl?: string
}

const OUT_FORMATS: Record<string, DataFormat> = { csv: 'CSVWithNames', tsv: 'TabSeparatedWithNames', parquet: 'Parquet', jsonl: 'JSONEachRow' }

function entityRef(v: string): { entity: string; id: string } {
  const m = /^([a-z]+)=(.+)$/.exec(v)
  if (m === null) throw new InvalidArgumentError(`expected <entity>=<id>, e.g. device=tap-0001-01, got '${v}'`)
  return { entity: m[1] as string, id: m[2] as string }
}

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter((s) => s !== '')

function sourceOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--data-dir <dir>', 'data directory of the stack').default('./data'))
    .addOption(new Option('--clickhouse-url <url>', 'read a ClickHouse server (or a running stack\'s SQL port) instead').argParser(url(['http:', 'https:'])))
    .addOption(new Option('--online-store <target>', 'online store: redis://host:port, or a directory (default: <data-dir>/online, LMDB)'))
    .addOption(new Option('--business-url <url>', 'the business (PostgreSQL) for customer features, e.g. a running stack\'s `businessUrl` in <data-dir>/stack.json').argParser(url(['postgres:', 'postgresql:'])))
}

/** The sources and stores for one command (through a running stack's SQL port, entity rows go inline in the query). */
async function openStore(o: SourceFlags, withOnline: boolean, clock?: Clock, entity?: string): Promise<{ store: FeatureStore; close: () => Promise<void> }> {
  const { FeatureStore, openOnlineStore, openTelemetryClient, startEmbeddedPostgres } = await engines()
  const { client, remote } = openTelemetryClient(o)
  // The SQL port refuses postgresql(): customer features from the business are computed only from the data dir,
  // where a stopped stack's embedded PostgreSQL is started for the command (as `tapflow business sql` does).
  let businessUrl = remote === undefined ? o.businessUrl : undefined
  let pg: EmbeddedPostgresHandle | undefined
  if (remote === undefined && businessUrl === undefined && entity !== 'device' && entity !== 'venue' && existsSync(join(o.dataDir, 'postgres', 'PG_VERSION'))) {
    pg = await startEmbeddedPostgres({ dir: join(o.dataDir, 'postgres'), logger: silentLogger })
    businessUrl = pg.url
  }
  let online: OnlineStore | undefined
  try {
    if (withOnline) online = await openOnlineStore(o.onlineStore ?? join(o.dataDir, 'online'))
  } catch (err) {
    await client.close()
    await pg?.close()
    throw err
  }
  const store = new FeatureStore({ clickhouse: client, writable: remote === undefined, online, clock, businessUrl })
  return { store, close: async () => { await online?.close(); await client.close(); await pg?.close() } }
}

interface Row {
  name: string
  value: FeatureValue
  eventTs: number | null
  status: string
}

/** The online row in the order asked; undefined when nothing of it was ever materialized. */
function served(names: readonly string[], row: OnlineRow | undefined): Row[] | undefined {
  if (row === undefined || !Object.values(row.features).some((f) => f.eventTs !== null)) return undefined
  return names.map((n) => ({ name: n, ...(row.features[n] ?? { value: null, eventTs: null, status: 'missing' }) }))
}

const show = (v: FeatureValue): string => (v === null ? '—' : typeof v === 'number' ? String(Math.round(v * 1e6) / 1e6) : v)

/** Entity rows with labels from a CSV file: a column named after the join key (or the first), `ts` (ISO or ms), the rest kept. */
function readLabelFile(path: string, key: string): { rows: EntityRow[]; extra: Record<string, string>[] } {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '')
  const split = (l: string): string[] => l.split(',').map((c) => c.trim().replace(/^"(.*)"$/, '$1'))
  const header = split(lines[0] ?? '')
  const ki = header.includes(key) ? header.indexOf(key) : 0
  const ti = ['ts', 'timestamp', 'event_timestamp'].map((n) => header.indexOf(n)).find((i) => i >= 0)
  if (ti === undefined) throw new ConfigError(`--labels ${path}: needs a ts (or timestamp / event_timestamp) column; it has ${header.join(', ')}`)
  const rows: EntityRow[] = []
  const extra: Record<string, string>[] = []
  for (const [n, l] of lines.slice(1).entries()) {
    const cells = split(l)
    const t = cells[ti] ?? ''
    const ts = /^\d+$/.test(t) ? Number(t) : Date.parse(t)
    if (Number.isNaN(ts)) throw new ConfigError(`--labels ${path}: line ${n + 2}: '${t}' is not a time (ISO or ms)`)
    rows.push({ entityId: cells[ki] ?? '', ts })
    extra.push(Object.fromEntries(header.flatMap((h, i) => (i === ki || i === ti ? [] : [[h, cells[i] ?? '']]))))
  }
  return { rows, extra }
}

export function registerFeatures(program: Command): void {
  const features = program.command('features').description('the feature store: definitions, point-in-time training sets, materialization, online values')

  features.command('ls')
    .description('list the features: name, entity, type, TTL, description')
    .option('--entity <name>', 'only this entity (device, venue, customer)')
    .option('--json', 'one JSON array')
    .action(async (o: { entity?: string; json?: boolean }) => {
      const { Registry } = await engines()
      const rows = new Registry().list(o.entity)
      if (o.json === true) return void process.stdout.write(JSON.stringify(rows, null, 2) + '\n')
      const w = Math.max(...rows.map((r) => r.name.length))
      process.stdout.write(`${'NAME'.padEnd(w)}  ENTITY    TYPE     TTL    VIEW                 DESCRIPTION\n`)
      for (const r of rows) {
        process.stdout.write(`${r.name.padEnd(w)}  ${r.entity.padEnd(8)}  ${r.type.padEnd(7)}  ${formatDuration(r.ttlMs).padEnd(5)}  ${r.view.padEnd(19)}  ${r.description}\n`)
      }
    })

  sourceOptions(features.command('get'))
    .description('print an entity\'s features: the online values with freshness (from the running stack when there is one), or point-in-time values with --at')
    .requiredOption('--entity <entity=id>', 'e.g. device=tap-0001-01, venue=ven-0001, customer=<account id>', entityRef)
    .addOption(new Option('--at <time>', 'point-in-time values at this ISO time, from ClickHouse').argParser(instant))
    .addOption(new Option('--features <list>', 'comma-separated feature names (default: all of the entity)').argParser(list))
    .option('--json', 'one JSON object')
    .action(async (o: SourceFlags & { entity: { entity: string; id: string }; at?: number; features?: string[]; json?: boolean }) => {
      const { entity, id } = o.entity
      const { FeatureClient, Registry } = await engines()
      const registry = new Registry()
      const names = o.features ?? registry.list(entity).map((f) => f.name)
      registry.resolve(names, entity)
      let out: Row[] | undefined
      let asOf: number | undefined
      // A running `tapflow up` serves its own online store, judged against its simulated clock.
      const info = o.at === undefined && o.onlineStore === undefined && o.clickhouseUrl === undefined ? readStackInfo(o.dataDir) : undefined
      if (info?.featuresUrl !== undefined) {
        const client = new FeatureClient({ address: info.featuresUrl, credentials: (await readFleetKey(o)).control('cli.features') })
        try {
          const res = await client.getOnlineFeatures({ entity, ids: [id], features: names })
          asOf = res.servedAt
          out = served(names, res.rows[0])
        } finally {
          client.close()
        }
      }
      if (out === undefined) {
        const clock = { at: Date.now(), now: (): number => clock.at }
        const { store, close } = await openStore(o, o.at === undefined, clock, entity)
        try {
          if (o.at === undefined && asOf === undefined) {
            // Without a running stack there is no clock to judge freshness against but the materialization's instant.
            asOf = (await store.online?.lastMaterialized(entity)) ?? Date.now()
            clock.at = asOf
            out = served(names, (await store.getOnlineFeatures({ entity, ids: [id], features: names }))[0])
          }
          if (out === undefined) {
            // Nothing materialized yet (or --at): compute at the time asked (or the stack's clock), from ClickHouse.
            const at = o.at ?? asOf ?? Date.now()
            // A simulated clock may run ahead of the wall clock: its "now" is not in the future.
            if (o.at === undefined) clock.at = Math.max(clock.at, at)
            if (o.at === undefined) process.stderr.write(`not in the online store (run 'tapflow features materialize'): computed from ClickHouse at ${new Date(at).toISOString()}\n`)
            const readable = new Set(store.readable(entity).map((f) => f.name))
            const computable = o.features === undefined ? names.filter((n) => readable.has(n)) : names
            const [row] = await store.getHistoricalFeatures({ entity, rows: [{ entityId: id, ts: at }], features: computable })
            out = computable.map((n) => ({ name: n, value: row?.values[n] ?? null, eventTs: null, status: row?.values[n] === null ? 'missing' : 'point-in-time' }))
            asOf = at
          }
        } finally {
          await close()
        }
      }
      if (o.json === true) return void process.stdout.write(JSON.stringify({ entity, id, asOf, features: out }, null, 2) + '\n')
      process.stdout.write(`${entity} ${id} as of ${new Date(asOf ?? Date.now()).toISOString()}${info?.featuresUrl !== undefined ? ' (the running stack\'s clock)' : ''}\n`)
      const w = Math.max(...out.map((r) => r.name.length))
      for (const r of out) {
        const when = r.eventTs === null ? '' : `  (${new Date(r.eventTs).toISOString()})`
        process.stdout.write(`${r.name.padEnd(w)}  ${show(r.value).padEnd(14)}  ${r.status}${when}\n`)
      }
    })

  sourceOptions(features.command('materialize'))
    .description('write the latest value of every feature per entity to the online store')
    .option('--entity <name>', 'only this entity (default: all)')
    .addOption(new Option('--at <time>', 'materialize as of this ISO time (default: now)').argParser(instant))
    .action(async (o: SourceFlags & { entity?: string; at?: number }) => {
      const { store, close } = await openStore(o, true, undefined, o.entity)
      try {
        await store.materialize({
          entity: o.entity, at: o.at,
          onProgress: (r) => process.stdout.write(`${r.entity}: ${r.entities} entities × ${r.features} features in ${r.ms} ms → ${store.online?.location ?? ''}\n`),
        })
      } finally {
        await close()
      }
    })

  sourceOptions(features.command('dataset'))
    .description('write a point-in-time training set: label rows (a CSV file or a SQL query) joined with their features as of each row\'s time')
    .requiredOption('--entity <name>', 'device, venue or customer')
    .requiredOption('--labels <file|query>', 'CSV with <join key>,ts,labels… or a query with those columns, e.g. "SELECT device_id, failure_ts AS ts, mode FROM tapflow.ground_truth FINAL"')
    .requiredOption('--out <file>', 'output: .csv, .tsv, .parquet or .jsonl')
    .addOption(new Option('--features <list>', 'comma-separated feature names (default: all of the entity)').argParser(list))
    .action(async (o: SourceFlags & { entity: string; labels: string; out: string; features?: string[] }) => {
      const ext = /\.([a-z]+)$/.exec(o.out)?.[1] ?? ''
      const format = OUT_FORMATS[ext]
      if (format === undefined) throw new ConfigError(`--out ${o.out}: the extension must be one of ${Object.keys(OUT_FORMATS).map((e) => `.${e}`).join(', ')}`)
      const { store, close } = await openStore(o, false, undefined, o.entity)
      try {
        const names = o.features ?? store.registry.list(o.entity).map((f) => f.name)
        const key = store.registry.entity(o.entity).joinKey
        const out = createWriteStream(o.out)
        const started = Date.now()
        if (existsSync(o.labels)) {
          const { rows, extra } = readLabelFile(o.labels, key)
          await store.withEntityRows(rows, (r) => store.exportHistoricalFeatures({ entity: o.entity, rows: r, features: names, format, out }), extra)
        } else {
          await store.exportHistoricalFeatures({ entity: o.entity, rows: await store.labelRows(o.labels, key), features: names, format, out })
        }
        out.end()
        await finished(out)
        process.stdout.write(`wrote ${o.out} (${names.length} features) in ${Date.now() - started} ms\n`)
      } finally {
        await close()
      }
    })
}

