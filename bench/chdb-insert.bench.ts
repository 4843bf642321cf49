/**
 * What one insert into the embedded ClickHouse costs, so the gateway's batch sizes and formats are chosen on
 * numbers: CPU per row by insert format (at the load test's batch sizes), CPU per row by batch size, and the fixed
 * CPU of one INSERT statement into a table with materialized views (pours: three) and into one without
 * (dead_letters). CPU is the whole process, every thread: chDB parses, sorts and compresses on its own threads and
 * on libuv's pool. Rows are the three telemetry tables' real columns (the specs' insert columns, the migrations'
 * tables, codecs and views) with sensor-quantized values, in the load test's mix: a quarter pours, half
 * temperatures, a quarter health.
 * Each figure starts from empty tables and includes the merges its inserts set off.
 * Run: npx tsx bench/chdb-insert.bench.ts   (ROWS=400000 to change the rows per measurement)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { DEAD_LETTERS, TELEMETRY, migrate, openClickHouse, type AnyTableSpec } from '../edge-gateway/index.js'

const rows = Number(process.env.ROWS ?? 400_000)
const dir = mkdtempSync(join(tmpdir(), 'tapflow-chdb-insert-'))
const ch = openClickHouse({ path: dir })
await migrate(ch.client)
const t0 = Date.now() - 86_400_000

let state = 42
const rnd = (): number => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648)
const steps = (n: number, step: number): number => Math.fround(Math.round(rnd() * n) * step)
let next = 0
/** Row i of the mix: device i % 2000, its seqs in order, as the gateway's specs build them. */
function row(kind: 'pour' | 'temp' | 'health'): unknown[] {
  const i = next++
  const d = i % 2000
  const seq = Math.floor(i / 2000) + 1
  const ts = t0 + i * 5
  const head = [`tap-${String(d).padStart(5, '0')}`, `ven-${String(d % 200).padStart(4, '0')}`, seq, ts]
  const tail = [false, ts + 30 + Math.round(rnd() * 40)]
  if (kind === 'pour') return [...head, 1 + (d % 4), 'bev-ipa', steps(220, 20 / 9), 2000 + Math.round(rnd() * 5000), steps(900, 0.1), steps(15, 0.01), steps(30, 1), `keg-${d}`, 50_000 - seq * 40, steps(80, 1 / 16), ...tail]
  if (kind === 'temp') return [...head, 1 + (d % 4), steps(80, 1 / 16), steps(60, 1 / 16), 18 + steps(64, 1 / 16), ...tail]
  return [...head, '2.4.1', 3600 + seq * 60, -50 - Math.round(rnd() * 30), 11.5 + steps(200, 1 / 200), 1000 + seq, [], 1, ...tail]
}
const MIX = ['pour', 'temp', 'temp', 'health'] as const
const SPECS = { pour: TELEMETRY.pour, temp: TELEMETRY.temp, health: TELEMETRY.health }

type Format = 'JSONCompactEachRow' | 'TabSeparated' | 'CSV'
const cell = (f: Format, c: unknown): string =>
  Array.isArray(c) ? (f === 'CSV' ? `"[${c.join(',')}]"` : `[${c.join(',')}]`) : f === 'CSV' && typeof c === 'string' ? `"${c}"` : String(c)
const lineOf = (f: Format, r: unknown[]): string => (f === 'JSONCompactEachRow' ? JSON.stringify(r) : r.map((c) => cell(f, c)).join(f === 'CSV' ? ',' : '\t')) + '\n'

/** Batches of `batch` rows of the mix, one INSERT per table each, encoded before the clock starts. */
function batches(f: Format, batch: number, total: number): { spec: AnyTableSpec; body: Buffer }[] {
  const out: { spec: AnyTableSpec; body: Buffer }[] = []
  for (let done = 0; done < total; done += batch) {
    const lines: Record<string, string[]> = { pour: [], temp: [], health: [] }
    for (let i = 0; i < batch; i++) {
      const k = MIX[i % MIX.length]!
      lines[k]!.push(lineOf(f, row(k)))
    }
    for (const k of ['pour', 'temp', 'health'] as const) out.push({ spec: SPECS[k], body: Buffer.from(lines[k]!.join('')) })
  }
  return out
}

let token = 0
async function insert(f: Format, spec: AnyTableSpec, body: Buffer): Promise<void> {
  const r = await ch.client.exec({
    query: `INSERT INTO ${spec.name} (${spec.insertColumns.join(', ')}) FORMAT ${f}`,
    values: Readable.from([body]),
    clickhouse_settings: { insert_deduplication_token: `bench-${token++}`, deduplicate_blocks_in_dependent_materialized_views: 1 },
  })
  r.stream.destroy()
}

const TARGETS = ['pours', 'temperatures', 'health', 'device_rollup_5m', 'device_state', 'venue_beverage_1h']

/** Waits for the merges the inserts started: they are the inserts' cost too, and must not land on the next figure. */
async function merged(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const [m] = (await (await ch.client.query({ query: 'SELECT count() AS n FROM system.merges', format: 'JSONEachRow' })).json()) as { n: string }[]
    if (Number(m?.n ?? 0) === 0) return
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** CPU µs per row over `total` rows inserted in batches of `batch`, merges included, from empty tables. */
async function perRow(f: Format, batch: number, total: number): Promise<number> {
  for (const t of TARGETS) await ch.client.command({ query: `TRUNCATE TABLE tapflow.${t}` })
  const work = batches(f, batch, total)
  const cpu0 = process.cpuUsage()
  for (const b of work) await insert(f, b.spec, b.body)
  await merged()
  const cpu = process.cpuUsage(cpu0)
  return Number(((cpu.user + cpu.system) / total).toFixed(2))
}

/** CPU ms of one 10-row INSERT into `spec`, over 100 of them. */
async function perInsert(spec: AnyTableSpec, line: () => string): Promise<number> {
  const bodies = Array.from({ length: 100 }, () => Buffer.from(Array.from({ length: 10 }, line).join('')))
  const cpu0 = process.cpuUsage()
  for (const body of bodies) await insert('JSONCompactEachRow', spec, body)
  const cpu = process.cpuUsage(cpu0)
  return Number(((cpu.user + cpu.system) / 100 / 1000).toFixed(1))
}

try {
  await perRow('JSONCompactEachRow', 20_000, 100_000) // warm-up: first parts, first merges
  const results: Record<string, number> = { rows }
  for (const f of ['JSONCompactEachRow', 'TabSeparated', 'CSV'] as const) results[`us_per_row_${f}_40k`] = await perRow(f, 40_000, rows)
  for (const batch of [2_000, 10_000, 40_000, 100_000]) results[`us_per_row_json_batch_${batch}`] = await perRow('JSONCompactEachRow', batch, Math.max(rows / 4, batch))
  results.ms_per_insert_pours_3_views = await perInsert(TELEMETRY.pour, () => lineOf('JSONCompactEachRow', row('pour')))
  results.ms_per_insert_dead_letters_no_views = await perInsert(DEAD_LETTERS, () => JSON.stringify([Date.now(), 't', 'd', 'r', 'x', 'p']) + '\n')
  console.log(JSON.stringify({
    name: 'chdb-insert',
    command: 'npx tsx bench/chdb-insert.bench.ts',
    headline: ['us_per_row_JSONCompactEachRow_40k', 'us_per_row_TabSeparated_40k', 'us_per_row_json_batch_2000', 'ms_per_insert_pours_3_views'],
    results,
    notes: 'CPU of the whole process (every thread) per row inserted into the telemetry tables, by format at 40K-row batches and by batch size; and per 10-row INSERT, where the fixed cost shows. Batches split into one INSERT per table (¼ pours, ½ temperatures, ¼ health).',
  }))
} finally {
  await ch.client.close()
  rmSync(dir, { recursive: true, force: true })
}
