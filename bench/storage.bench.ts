/**
 * Storage: one simulated day of a 2,000-tap fleet, landed through the real path (device models → gateway decode
 * and rows → chDB, see dashboards' seedHistory), merged with OPTIMIZE … FINAL, then measured from system.parts and
 * system.parts_columns over active parts: bytes on disk, compression ratio (uncompressed / compressed) and bytes
 * per frame, per table and per column, and overall for the three telemetry tables.
 *
 * EXPLORE=1 also copies each telemetry table into candidate tables, one per codec or type variant, merges them and
 * prints every column's size under every variant (stderr), so the schema's choices can be read off one table.
 * Environment: DEVICES (2000), DAYS (1), START (2026-11-20T00:00Z), EXPLORE (unset; VARIANTS=a,b picks candidates),
 * KEEP=1 keeps data/bench-storage for a rerun with REUSE=1.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { seedHistory } from '../dashboards/index.js'
import { applyRetention, migrate, openClickHouse } from '../edge-gateway/index.js'
import { buildFleet } from '../firmware-sim/index.js'

const devices = Number(process.env.DEVICES ?? 2000)
const days = Number(process.env.DAYS ?? 1)
const dir = join('data', 'bench-storage')
const marker = join(dir, 'seeded.json')
const TELEMETRY = ['pours', 'temperatures', 'health'] as const
// A fixed day keeps reruns on the same data: by default Friday 2026-11-20, the week's busiest for pours.
const from = process.env.START !== undefined ? Date.parse(process.env.START) : Date.UTC(2026, 10, 20)
if (Number.isNaN(from)) throw new Error(`START is not a date: ${process.env.START}`)

if (process.env.REUSE !== '1' || !existsSync(marker)) rmSync(dir, { recursive: true, force: true })
const ch = openClickHouse({ path: join(dir, 'clickhouse') })
const client = ch.client

let seedSeconds = 0
if (!existsSync(marker)) {
  // The fixed day would age past the 90-day raw retention and vanish at the first merge: keep everything here.
  await migrate(client)
  await applyRetention(client, { rawDays: 0, rollupDays: 0, deadLetterDays: 0 })
  const t0 = performance.now()
  const r = await seedHistory({
    clickhouse: ch,
    fleet: buildFleet({ devices, seed: 42 }),
    from,
    to: from + days * 86_400_000,
    onProgress: (n) => process.stderr.write(`\rseeding: ${(n / 1e3).toFixed(0)}K frames   `),
  })
  seedSeconds = Math.round((performance.now() - t0) / 100) / 10
  writeFileSync(marker, JSON.stringify({ frames: r.frames, seedSeconds }) + '\n')
  process.stderr.write(`\nseeded ${r.frames} frames in ${seedSeconds} s\n`)
}
// Merge into wide parts, as a month's partition ends up, so system.parts_columns has per-column sizes (a compact
// part, under 10 MB, reports none).
for (const t of TELEMETRY) {
  await client.command({ query: `ALTER TABLE tapflow.${t} MODIFY SETTING min_bytes_for_wide_part = 0` })
  await client.command({ query: `OPTIMIZE TABLE tapflow.${t} FINAL` })
}

interface ColumnSize {
  column: string
  type: string
  codec: string
  onDisk: number
  compressed: number
  uncompressed: number
}
interface TableSize {
  rows: number
  onDisk: number
  compressed: number
  uncompressed: number
  columns: ColumnSize[]
}

async function rows<T>(query: string): Promise<T[]> {
  return (await (await client.query({ query, format: 'JSONEachRow' })).json()) as T[]
}

/** Sizes of one table's active parts, per column in table order. */
async function measure(db: string, table: string): Promise<TableSize> {
  const [p] = await rows<Record<string, string>>(
    `SELECT sum(rows) AS rows, sum(bytes_on_disk) AS onDisk, sum(data_compressed_bytes) AS compressed,
            sum(data_uncompressed_bytes) AS uncompressed
     FROM system.parts WHERE active AND database = '${db}' AND table = '${table}'`,
  )
  const cols = await rows<Record<string, string>>(
    `SELECT pc.column AS column, any(pc.type) AS type, any(c.compression_codec) AS codec, any(c.position) AS pos,
            sum(pc.column_bytes_on_disk) AS onDisk, sum(pc.column_data_compressed_bytes) AS compressed,
            sum(pc.column_data_uncompressed_bytes) AS uncompressed
     FROM system.parts_columns AS pc
     JOIN system.columns AS c ON c.database = pc.database AND c.table = pc.table AND c.name = pc.column
     WHERE pc.active AND pc.database = '${db}' AND pc.table = '${table}'
     GROUP BY pc.column ORDER BY pos`,
  )
  return {
    rows: Number(p?.rows ?? 0),
    onDisk: Number(p?.onDisk ?? 0),
    compressed: Number(p?.compressed ?? 0),
    uncompressed: Number(p?.uncompressed ?? 0),
    columns: cols.map((r) => ({
      column: r.column!,
      type: r.type!,
      codec: r.codec ?? '',
      onDisk: Number(r.onDisk),
      compressed: Number(r.compressed),
      uncompressed: Number(r.uncompressed),
    })),
  }
}

const ratio = (u: number, c: number): number => Math.round((u / Math.max(1, c)) * 100) / 100
const per = (bytes: number, n: number): number => Math.round((bytes / Math.max(1, n)) * 100) / 100

const sizes: Record<string, TableSize> = {}
for (const t of TELEMETRY) sizes[t] = await measure('tapflow', t)
const frames = TELEMETRY.reduce((s, t) => s + sizes[t]!.rows, 0)
const total = TELEMETRY.reduce((s, t) => ({ onDisk: s.onDisk + sizes[t]!.onDisk, c: s.c + sizes[t]!.compressed, u: s.u + sizes[t]!.uncompressed }), { onDisk: 0, c: 0, u: 0 })

const results: Record<string, number | string | boolean> = {
  devices,
  days,
  frames,
  ratio: ratio(total.u, total.c),
  bytes_per_frame: per(total.onDisk, frames),
  compressed_bytes_per_frame: per(total.c, frames),
  // The ratio's numerator: narrower types (migration 11's Int16 steps for Float32) lower it as much as the bytes.
  uncompressed_bytes_per_frame: per(total.u, frames),
  on_disk_mb: Math.round(total.onDisk / 1e4) / 100,
  target_met: total.u / total.c >= 10 && total.onDisk / frames <= 6,
}
for (const t of TELEMETRY) {
  const s = sizes[t]!
  results[`${t} rows`] = s.rows
  results[`${t} bytes/row`] = per(s.onDisk, s.rows)
  results[`${t} ratio`] = ratio(s.uncompressed, s.compressed)
}
for (const t of TELEMETRY) {
  process.stderr.write(`\n${t}: ${sizes[t]!.rows} rows, ${per(sizes[t]!.onDisk, sizes[t]!.rows)} B/row on disk, ratio ${ratio(sizes[t]!.uncompressed, sizes[t]!.compressed)}\n`)
  for (const c of sizes[t]!.columns) {
    const line = `${per(c.onDisk, frames)} B/frame, ${per(c.onDisk, sizes[t]!.rows)} B/row, ratio ${ratio(c.uncompressed, c.compressed)}`
    results[`${t}.${c.column}`] = line
    process.stderr.write(`  ${c.column.padEnd(18)} ${c.type.padEnd(26)} ${c.codec.padEnd(28)} ${String(c.onDisk).padStart(9)} B  ${line}\n`)
  }
}
if (process.env.EXPLORE === '1') await explore()
await client.close()
if (process.env.KEEP !== '1') rmSync(dir, { recursive: true, force: true })

console.log(
  JSON.stringify({
    name: 'storage',
    headline: ['ratio', 'bytes_per_frame', 'frames', 'target_met'],
    command: 'npx tsx bench/storage.bench.ts',
    target: 'telemetry tables after one merged day of 2,000 taps: ratio ≥ 10:1 and ≤ 6 bytes per frame on disk',
    results,
    notes:
      `${days} simulated day(s) (from ${new Date(from).toISOString().slice(0, 10)}, seed 42) through seedHistory (simulator → gateway decode → chDB)${seedSeconds > 0 ? ` in ${seedSeconds} s` : ''}, ` +
      'retention off (the fixed day would age past the TTL), then OPTIMIZE … FINAL. Seeded frames land at their device time, so receive_delay_ms is 0 (ClickHouse stores it sparse). ratio = data_uncompressed_bytes / data_compressed_bytes over active parts; bytes per frame = ' +
      'bytes_on_disk (data, marks, primary index, checksums) / rows. Per column: on-disk bytes per frame of all three tables, per row of its table, ratio.',
  }),
)

/**
 * Candidate tables side by side: for each variant, every column of a telemetry table the variant applies to gets
 * its codec, the rest keep the table's own; the same rows are copied in, merged and measured.
 */
async function explore(): Promise<void> {
  // Sensor values are whole steps in integers since migration 11, so they are 'int' here.
  type Kind = 'int' | 'float' | 'time'
  const kindOf = (col: string, type: string): Kind | undefined => {
    if (type.startsWith('DateTime64')) return 'time'
    if (/^Float/.test(type)) return 'float'
    if (/^U?Int/.test(type)) return 'int'
    return undefined
  }
  interface Variant {
    name: string
    codec: Partial<Record<Kind, string>>
    orderBy?: string
    /** Codec per column name, over the kinds. */
    columns?: Record<string, string>
  }
  const all = (codec: string): Partial<Record<Kind, string>> => ({ int: codec, float: codec, time: codec })
  // Migration 1's codecs, for the write-time and size baseline.
  const m001: Record<string, string> = {
    seq: 'Delta, ZSTD(1)', ts: 'DoubleDelta, ZSTD(1)', received_at: 'DoubleDelta, ZSTD(1)', uptime_s: 'Delta, ZSTD(1)',
    valve_cycles: 'Delta, ZSTD(1)', duration_ms: 'ZSTD(1)', rssi_dbm: 'ZSTD(1)', line_id: 'LZ4',
  }
  const variants: Variant[] = [
    { name: 'current', codec: {} },
    { name: 'm001', codec: { float: 'Gorilla, ZSTD(1)' }, columns: m001 },
    { name: 'lz4', codec: all('LZ4') },
    { name: 'zstd1', codec: all('ZSTD(1)') },
    { name: 'zstd3', codec: all('ZSTD(3)') },
    { name: 'zstd9', codec: all('ZSTD(9)') },
    { name: 'zstd19', codec: all('ZSTD(19)') },
    { name: 'delta-zstd', codec: { int: 'Delta, ZSTD(3)', time: 'Delta, ZSTD(3)', float: 'ZSTD(3)' } },
    { name: 'dd-zstd', codec: { int: 'DoubleDelta, ZSTD(3)', time: 'DoubleDelta, ZSTD(3)' } },
    { name: 't64-zstd', codec: { int: 'T64, ZSTD(3)', time: 'T64, ZSTD(3)' } },
    { name: 'delta-t64-zstd', codec: { int: 'Delta, T64, ZSTD(3)', time: 'Delta, T64, ZSTD(3)' } },
    { name: 'zstd6', codec: all('ZSTD(6)') },
    { name: 'zstd12', codec: all('ZSTD(12)') },
    { name: 'delta-zstd9', codec: all('Delta, ZSTD(9)') },
    { name: 'dd-zstd9', codec: { int: 'DoubleDelta, ZSTD(9)', time: 'DoubleDelta, ZSTD(9)' } },
    { name: 't64-zstd9', codec: { int: 'T64, ZSTD(9)', time: 'T64, ZSTD(9)' } },
    { name: 'delta-t64-zstd9', codec: { int: 'Delta, T64, ZSTD(9)', time: 'Delta, T64, ZSTD(9)' } },
    { name: 'gorilla-zstd', codec: { float: 'Gorilla, ZSTD(3)' } },
    { name: 'gorilla-zstd9', codec: { float: 'Gorilla, ZSTD(9)' } },
    { name: 'gorilla', codec: { float: 'Gorilla' } },
    { name: 'fpc-zstd', codec: { float: 'FPC, ZSTD(3)' } },
    { name: 'fpc', codec: { float: 'FPC' } },
    { name: 'order-venue-device', codec: {}, orderBy: '(venue_id, device_id, ts, seq)' },
    { name: 'order-device-seq', codec: {}, orderBy: '(device_id, seq)' },
  ]
  const only = process.env.VARIANTS?.split(',')
  if (only !== undefined) variants.splice(0, variants.length, ...variants.filter((v) => only.includes(v.name)))
  await client.command({ query: 'CREATE DATABASE IF NOT EXISTS storage_explore' })
  const table: Record<string, Record<string, Record<string, number>>> = {}
  const times: Record<string, Record<string, number>> = {}
  for (const t of TELEMETRY) {
    const cols = sizes[t]!.columns
    table[t] = {}
    for (const v of variants) {
      const name = `storage_explore.${t}_${v.name.replace(/-/g, '_')}`
      const defs: string[] = []
      for (const c of cols) {
        const k = kindOf(c.column, c.type)
        const codec = v.columns?.[c.column] ?? (k !== undefined ? v.codec[k] : undefined)
        defs.push(`${c.column} ${c.type}${codec !== undefined ? ` CODEC(${codec})` : c.codec !== '' ? ` ${c.codec}` : ''}`)
      }
      let writeMs = 0
      try {
        await client.command({ query: `DROP TABLE IF EXISTS ${name}` })
        await client.command({
          query: `CREATE TABLE ${name} (${defs.join(', ')}) ENGINE = ReplacingMergeTree ORDER BY ${v.orderBy ?? '(device_id, ts, seq)'}
                  SETTINGS min_bytes_for_wide_part = 0`,
        })
        // Write cost: the copy compresses every column once and the merge once more, as inserts and merges would.
        const t0 = performance.now()
        await client.command({ query: `INSERT INTO ${name} SELECT ${cols.map((c) => c.column).join(', ')} FROM tapflow.${t}` })
        await client.command({ query: `OPTIMIZE TABLE ${name} FINAL` })
        writeMs = performance.now() - t0
      } catch (err) {
        process.stderr.write(`  ${t} ${v.name}: ${String(err).slice(0, 160)}\n`)
        continue
      }
      const m = await measure('storage_explore', name.split('.')[1]!)
      for (const c of m.columns) (table[t]![c.column] ??= {})[v.name] = c.onDisk
      ;(table[t]!['(table)'] ??= {})[v.name] = m.onDisk
      ;(times[t] ??= {})[v.name] = writeMs
      await client.command({ query: `DROP TABLE ${name}` })
    }
    process.stderr.write(`\nexplore ${t}: on-disk bytes per row by variant (* = smallest)\n`)
    process.stderr.write(`  ${'column'.padEnd(18)} ${'current'.padStart(8)} ${variants.map((v) => v.name.slice(0, 14).padStart(15)).join('')}\n`)
    const n = sizes[t]!.rows
    for (const [col, byVariant] of Object.entries(table[t]!)) {
      const current = col === '(table)' ? sizes[t]!.onDisk : (cols.find((c) => c.column === col)?.onDisk ?? 0)
      const best = Math.min(...Object.values(byVariant))
      const cells = variants.map((v) => {
        const b = byVariant[v.name]
        return (b === undefined ? '-' : `${(b / n).toFixed(3)}${b === best ? '*' : ' '}`).padStart(15)
      })
      process.stderr.write(`  ${col.padEnd(18)} ${(current / n).toFixed(3).padStart(8)} ${cells.join('')}\n`)
    }
    process.stderr.write(`  ${'(write ms)'.padEnd(18)} ${''.padStart(8)} ${variants.map((v) => String(Math.round(times[t]?.[v.name] ?? 0)).padStart(15)).join('')}\n`)
  }
  await client.command({ query: 'DROP DATABASE storage_explore' })
}
