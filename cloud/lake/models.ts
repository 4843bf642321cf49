import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { ConfigError, errorMessage } from '../../common/index.js'
import { LakeError, ModelTestError } from './errors.js'
import { icebergType, lit, parseNamespace, q, qi, type Namespace, type TableRef, type Warehouse } from './warehouse.js'

/** The models shipped with TapFlow. */
export const MODELS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'models')

export type ModelTest =
  | { kind: 'not_null'; column: string }
  | { kind: 'unique'; column: string }
  | { kind: 'accepted_values'; column: string; values: string[] }
  | { kind: 'relationships'; column: string; to: string; field: string }

export interface Model {
  name: string
  layer: Namespace
  sql: string
  materialized: 'table' | 'incremental' | 'view'
  /** For incremental models: only rows with this column above the table's current max are appended. */
  incrementalKey: string | undefined
  partitionBy: string | undefined
  refs: string[]
  sources: TableRef[]
  tests: ModelTest[]
}

export interface SourceFreshness {
  table: TableRef
  /** Column holding the load time. */
  loadedAt: string
  maxAgeHours: number
}

const REF = /\{\{\s*ref\(\s*'([a-z_][a-z0-9_]*)'\s*\)\s*\}\}/g
const SOURCE = /\{\{\s*source\(\s*'([a-z_]+)'\s*,\s*'([a-z_][a-z0-9_]*)'\s*\)\s*\}\}/g
const HEADER = /^\s*\/\*([\s\S]*?)\*\//
const CDC_LATEST = /\{\{\s*cdc_latest\(\s*'([a-z_]+)'\s*,\s*'([a-z_][a-z0-9_]*)'\s*,\s*'([a-z_][a-z0-9_]*)'\s*\)\s*\}\}/g

/**
 * Macros, expanded before refs and sources are read (dbt's role). `{{ cdc_latest('raw', 'users', 'user_id') }}`: the
 * latest state per key of a CDC log table — the newest (_lsn, _seq) wins and deleted keys drop out.
 */
export function expandMacros(sql: string): string {
  return sql.replace(CDC_LATEST, (_m, ns: string, table: string, key: string) =>
    [
      'SELECT * EXCEPT (_seq, _op)',
      'FROM (',
      `  SELECT * FROM {{ source('${ns}', '${table}') }}`,
      `  ORDER BY ${key}, _lsn DESC, _seq DESC`,
      `  LIMIT 1 BY ${key}`,
      ')',
      "WHERE _op != 'd'",
    ].join('\n'),
  )
}

/**
 * Parse one model file: an optional YAML header comment, then a SELECT using {{ ref('x') }}, {{ source('raw','y') }}
 * and the macros of `expandMacros`.
 */
export function parseModel(name: string, layer: Namespace, text: string): Model {
  const m = HEADER.exec(text)
  const header = (m ? parseYaml(m[1] ?? '') : {}) as Record<string, unknown> | null
  const h = header ?? {}
  const sql = expandMacros((m ? text.slice(m[0].length) : text).trim().replace(/;\s*$/, ''))
  const materialized = (h.materialized ?? 'table') as Model['materialized']
  if (!['table', 'incremental', 'view'].includes(materialized)) throw new ConfigError(`model ${name}: materialized must be table, incremental or view`)
  if (materialized === 'incremental' && typeof h.incremental_key !== 'string') throw new ConfigError(`model ${name}: incremental needs incremental_key`)
  const refs = [...new Set([...sql.matchAll(REF)].map((x) => x[1] ?? ''))]
  const sources = [...sql.matchAll(SOURCE)].map((x) => ({ namespace: parseNamespace(x[1] ?? ''), name: x[2] ?? '' }))
  return {
    name,
    layer,
    sql,
    materialized,
    incrementalKey: typeof h.incremental_key === 'string' ? h.incremental_key : undefined,
    partitionBy: typeof h.partition_by === 'string' ? h.partition_by : undefined,
    refs,
    sources,
    tests: parseTests(name, h.tests),
  }
}

function parseTests(model: string, raw: unknown): ModelTest[] {
  if (raw === undefined) return []
  if (!Array.isArray(raw)) throw new ConfigError(`model ${model}: tests must be a list`)
  const out: ModelTest[] = []
  for (const t of raw as Record<string, unknown>[]) {
    const [kind, arg] = Object.entries(t)[0] ?? []
    if (kind === 'not_null' || kind === 'unique') for (const column of [arg].flat() as string[]) out.push({ kind, column })
    else if (kind === 'accepted_values') {
      const a = arg as { column: string; values: unknown[] }
      out.push({ kind, column: a.column, values: a.values.map(String) })
    } else if (kind === 'relationships') {
      const a = arg as { column: string; to: string; field: string }
      out.push({ kind, column: a.column, to: a.to, field: a.field })
    } else throw new ConfigError(`model ${model}: unknown test '${String(kind)}'`)
  }
  return out
}

/** Every `<dir>/<layer>/<name>.sql`, plus `<dir>/sources.yml` (freshness bounds per source). */
export function loadModels(dir = MODELS_DIR): { models: Model[]; freshness: SourceFreshness[] } {
  const models: Model[] = []
  for (const layer of ['staging', 'intermediate', 'entity'] as const) {
    const d = join(dir, layer)
    if (!existsSync(d)) continue
    for (const f of readdirSync(d).filter((x) => x.endsWith('.sql')).sort()) models.push(parseModel(basename(f, '.sql'), layer, readFileSync(join(d, f), 'utf8')))
  }
  const freshness: SourceFreshness[] = []
  const sf = join(dir, 'sources.yml')
  if (existsSync(sf)) {
    const y = parseYaml(readFileSync(sf, 'utf8')) as Record<string, Record<string, { loaded_at: string; max_age_hours: number }>>
    for (const [ns, tables] of Object.entries(y)) for (const [name, s] of Object.entries(tables)) freshness.push({ table: { namespace: parseNamespace(ns), name }, loadedAt: s.loaded_at, maxAgeHours: s.max_age_hours })
  }
  return { models, freshness }
}

/** Dependency order (Kahn); throws on an unknown ref or a cycle, naming it. */
export function orderModels(models: readonly Model[]): Model[] {
  const byName = new Map(models.map((m) => [m.name, m]))
  for (const m of models) for (const r of m.refs) if (!byName.has(r)) throw new ConfigError(`model ${m.name} refs unknown model '${r}'`)
  const indeg = new Map(models.map((m) => [m.name, m.refs.length]))
  const ready = models.filter((m) => m.refs.length === 0).map((m) => m.name)
  const out: Model[] = []
  while (ready.length > 0) {
    const n = ready.shift() as string
    out.push(byName.get(n) as Model)
    for (const m of models) {
      if (!m.refs.includes(n)) continue
      const d = (indeg.get(m.name) ?? 0) - 1
      indeg.set(m.name, d)
      if (d === 0) ready.push(m.name)
    }
  }
  if (out.length < models.length) {
    const left = models.filter((m) => !out.includes(m)).map((m) => m.name)
    throw new ConfigError(`models form a cycle: ${left.join(' → ')}`)
  }
  return out
}

export interface BuildOptions {
  warehouse: Warehouse
  /** Default: the shipped models. */
  dir?: string
  /** Only these models (and nothing else). Default: all. */
  select?: readonly string[]
  /** Called as each model finishes. */
  progress?: (m: Model, status: 'built' | 'skipped', detail: string) => void
  /** Now, for freshness. Default: Date.now(). */
  now?: number
  /** Stops the build between two models (each model's commits are whole): it then throws LakeError. Default: none. */
  signal?: AbortSignal
}

export interface BuildResult {
  built: string[]
  skipped: { model: string; reason: string }[]
  tests: { test: string; failing: number }[]
}

/** Build every model in dependency order, then run the tests and freshness checks; throws ModelTestError on failure. */
export async function buildModels(opts: BuildOptions): Promise<BuildResult> {
  const wh = opts.warehouse
  const { models, freshness } = loadModels(opts.dir)
  const ordered = orderModels(models).filter((m) => !opts.select || opts.select.includes(m.name))
  const layerOf = new Map(models.map((m) => [m.name, m.layer]))
  const present = new Set((await wh.discover()).map((t) => `${t.namespace}.${t.name}`))
  const result: BuildResult = { built: [], skipped: [], tests: [] }
  const failed = new Set<string>()
  for (const m of ordered) {
    if (opts.signal?.aborted === true) throw new LakeError(`model build stopped before ${m.name}`)
    const missing = [...m.sources.map((s) => `${s.namespace}.${s.name}`).filter((s) => !present.has(s)), ...m.refs.filter((r) => failed.has(r))]
    if (missing.length > 0) {
      failed.add(m.name)
      result.skipped.push({ model: m.name, reason: `missing ${missing.join(', ')}` })
      opts.progress?.(m, 'skipped', `missing ${missing.join(', ')}`)
      continue
    }
    const sql = m.sql.replace(REF, (_, r: string) => `${qi(layerOf.get(r) ?? 'staging')}.${qi(r)}`).replace(SOURCE, (_, ns: string, t: string) => `${qi(ns)}.${qi(t)}`)
    const t0 = Date.now()
    try {
      await materialize(wh, m, sql)
    } catch (err) {
      throw new LakeError(`model ${m.name} failed: ${errorMessage(err)}`, { cause: err })
    }
    if (m.materialized !== 'view') present.add(`${m.layer}.${m.name}`)
    result.built.push(m.name)
    opts.progress?.(m, 'built', `${m.materialized} in ${Date.now() - t0} ms`)
  }
  const failures: { test: string; rows: Record<string, unknown>[] }[] = []
  for (const m of ordered) {
    if (failed.has(m.name)) continue
    for (const t of m.tests) {
      const target = `${qi(m.layer)}.${qi(m.name)}`
      const name = `${m.name}.${t.kind}(${t.column}${t.kind === 'relationships' ? ` → ${t.to}.${t.field}` : ''})`
      const rows = await wh.rows<Record<string, unknown>>(testSql(t, target, layerOf))
      result.tests.push({ test: name, failing: rows.length })
      if (rows.length > 0) failures.push({ test: name, rows })
    }
  }
  const now = opts.now ?? Date.now()
  for (const f of freshness) {
    if (!present.has(`${f.table.namespace}.${f.table.name}`)) continue
    const [r] = await wh.rows<{ ms: string | null }>(`SELECT toUnixTimestamp64Milli(max(${qi(f.loadedAt)})) AS ms FROM ${q(f.table)}`)
    const age = (now - Number(r?.ms ?? 0)) / 3_600_000
    const empty = r?.ms === null || r?.ms === undefined || Number(r.ms) === 0
    // An empty source has no load to be late: reported, not failed (e.g. a lake with business data but no fleet yet).
    const name = `freshness(${f.table.namespace}.${f.table.name} ≤ ${f.maxAgeHours} h)${empty ? ' (empty)' : ''}`
    const ok = empty || age <= f.maxAgeHours
    result.tests.push({ test: name, failing: ok ? 0 : 1 })
    if (!ok) failures.push({ test: name, rows: [{ table: `${f.table.namespace}.${f.table.name}`, age_hours: Math.round(age * 10) / 10 }] })
  }
  if (failures.length > 0) throw new ModelTestError(failures, result.tests)
  return result
}

function testSql(t: ModelTest, target: string, layerOf: Map<string, Namespace>): string {
  const c = qi(t.column)
  switch (t.kind) {
    case 'not_null':
      return `SELECT * FROM ${target} WHERE ${c} IS NULL LIMIT 10`
    case 'unique':
      return `SELECT ${c}, count() AS n FROM ${target} GROUP BY ${c} HAVING n > 1 LIMIT 10`
    case 'accepted_values':
      return `SELECT ${c}, count() AS n FROM ${target} WHERE ${c} NOT IN (${t.values.map(lit).join(', ')}) GROUP BY ${c} LIMIT 10`
    case 'relationships':
      return `SELECT ${c} FROM ${target} WHERE ${c} IS NOT NULL AND ${c} NOT IN (SELECT ${qi(t.field)} FROM ${qi(layerOf.get(t.to) ?? 'staging')}.${qi(t.to)}) LIMIT 10`
  }
}

async function materialize(wh: Warehouse, m: Model, sql: string): Promise<void> {
  const ref: TableRef = { namespace: m.layer, name: m.name }
  if (m.materialized === 'view') {
    // A ClickHouse view in the session (no Iceberg files): cheap, always current, invisible to other engines.
    await wh.command(`CREATE OR REPLACE VIEW ${q(ref)} AS ${sql}`)
    return
  }
  const cols = await wh.rows<{ name: string; type: string }>(`DESCRIBE (${sql})`)
  const wanted = cols.map((c) => [c.name, c.type] as const)
  if (wh.exists(ref) || (await wh.discover()).some((t) => t.namespace === ref.namespace && t.name === ref.name)) {
    if (!wh.exists(ref)) await wh.attach(ref)
    const have = new Map((await wh.columns(ref)).map(([n, ty]) => [n, ty]))
    const missing = wanted.filter(([n]) => !have.has(n))
    // New model columns arrive as nullable columns (schema evolution); removed or retyped ones need a rebuild by hand.
    for (const [n, ty] of missing) await wh.addColumn(ref, n, ty.startsWith('Nullable(') ? icebergType(ty) : `Nullable(${icebergType(ty)})`)
  } else {
    await wh.ensure(ref, wanted, m.partitionBy)
  }
  const names = wanted.map(([n]) => n)
  if (m.materialized === 'incremental') {
    const k = qi(m.incrementalKey ?? '')
    const [r] = await wh.rows<{ n: string }>(`SELECT count() AS n FROM ${q(ref)}`)
    const filter = Number(r?.n ?? 0) > 0 ? ` WHERE ${k} > (SELECT max(${k}) FROM ${q(ref)})` : ''
    await wh.insertSelect(ref, `SELECT * FROM (${sql})${filter}`, names)
    return
  }
  // A full rebuild keeps the table's history: delete the old rows (one commit), append the new (one commit).
  const [r] = await wh.rows<{ n: string }>(`SELECT count() AS n FROM ${q(ref)}`)
  if (Number(r?.n ?? 0) > 0) await wh.command(`ALTER TABLE ${q(ref)} DELETE WHERE 1`)
  await wh.insertSelect(ref, sql, names)
}
