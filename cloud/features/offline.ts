import { FeatureInputError } from './errors.js'
import type { Registry, ResolvedFeature } from './registry.js'
import type { FeatureView } from './types.js'

/**
 * Point-in-time SQL, Feast's semantics in one ClickHouse query. For each entity row (row_id, entity_id, ts_ms)
 * and each view:
 *   - probes at ts and at ts − window for every window of the view (ARRAY JOIN);
 *   - one ASOF LEFT JOIN of the probes against the view's source rows, which carry running totals of the
 *     integer sums: the latest source row at or before each probe;
 *   - a window sum is total(ts) − total(ts − window), i.e. exactly the events in (ts − window, ts]; a value is the
 *     latest at or before ts. A view whose latest row is older than its TTL gives NULL.
 * ASOF LEFT JOIN fills a probe without a match with zeros (join_use_nulls = 0, the default), i.e. an empty total.
 * Nothing after a row's timestamp can reach its features: every join condition is `source ts <= probe <= row ts`.
 */

/** The entity rows: a FROM-able SQL expression with `row_id UInt64, entity_id String, ts_ms Int64` (and extra columns). */
export interface EntityRowsSql {
  from: string
  /** Columns of `from` to copy into the output (labels). */
  extra?: readonly string[]
}

/** How far back a view reads for a row: its longest window plus its TTL (the oldest a lagged value may be). */
export function lookbackMs(v: FeatureView): number {
  return Math.max(0, ...Object.values(v.windows)) + v.ttlMs
}

/** Where sources live: the telemetry database, and how to name a business (PostgreSQL) table in ClickHouse. */
export interface Sources {
  db: string
  /** `{pg:<table>}` → a FROM-able ClickHouse expression; undefined when the store has no business. */
  business?: (table: string) => string
}

function fill(sql: string, src: Sources, entities: string, from: string, to: string): string {
  return sql.replaceAll('{db}', src.db).replaceAll('{entities}', entities).replaceAll('{from}', from).replaceAll('{to}', to)
    .replace(/\{pg:([a-z_]+)\}/g, (_, table: string) => {
      if (src.business === undefined) throw new FeatureInputError(`customer features from the business need its database (PostgreSQL): none is configured`)
      return src.business(table)
    })
}

function castFeature(type: ResolvedFeature['type'], expr: string): string {
  if (type === 'string') return `CAST(${expr} AS Nullable(String))`
  if (type === 'int64') return `CAST(${expr} AS Nullable(Int64))`
  return `if(isFinite(assumeNotNull(CAST(${expr} AS Nullable(Float64)))), CAST(${expr} AS Nullable(Float64)), NULL)`
}

/** One view's features for every entity row: `row_id`, `<view>__event_ts` and the features asked for. */
export function viewSql(v: FeatureView, wanted: ReadonlySet<string>, e: string, src: Sources): string {
  const windows = Object.entries(v.windows)
  const ks = [0, ...windows.map((_, i) => i + 1)]
  const offsets = [0, ...windows.map(([, ms]) => ms)]
  const at = (col: string, k: number): string => `anyIf(c.${col}, p.k = ${k})`
  const sel: string[] = [
    'p.row_id AS row_id', 'any(p.ts_ms) AS __row_ts', `${at('__ts', 0)} AS __event_ts`,
    `${at('__hit', 0)} = 1 AS __hit0`, `__hit0 AND __row_ts - __event_ts <= ${v.ttlMs} AS __ok`,
    ...Object.keys(v.values).map((x) => `${at(x, 0)} AS ${x}`),
  ]
  const sums = Object.keys(v.sums)
  windows.forEach(([w, ms], i) => {
    for (const s of sums) sel.push(`${at(s, 0)} - ${at(s, i + 1)} AS ${s}__${w}`)
    for (const l of (v.lagged ?? []).filter((x) => x.window === w)) {
      sel.push(`if(${at('__hit', i + 1)} = 1 AND __row_ts - ${ms} - ${at('__ts', i + 1)} <= ${v.ttlMs}, ${at(l.value, i + 1)}, NULL) AS ${l.value}__at_${w}`)
    }
  })
  const source = fill(v.sourceSql, src, `(SELECT entity_id FROM ${e})`, `(SELECT min(ts_ms) FROM ${e}) - ${lookbackMs(v) + 1}`, `(SELECT max(ts_ms) FROM ${e})`)
  // One row per (entity, ts): latest values by __order, sums; then running totals per entity.
  const perTs = [
    'src.entity_id AS entity_id', 'src.ts_ms AS ts_ms',
    ...Object.entries(v.values).map(([x, expr]) => `argMax(${expr}, src.__order) AS ${x}`),
    ...Object.entries(v.sums).map(([x, expr]) => `sum(${expr}) AS ${x}`),
  ]
  const grouped = `SELECT ${perTs.join(', ')} FROM (${source}) AS src GROUP BY src.entity_id, src.ts_ms`
  const running = sums.map((s) => `sum(${s}) OVER w AS ${s}`)
  const inner = `SELECT ${sel.join(', ')}
    FROM (SELECT row_id, entity_id, ts_ms, k, ts_ms - off AS probe FROM ${e} ARRAY JOIN [${ks.join(',')}] AS k, [${offsets.join(',')}] AS off) AS p
    ASOF LEFT JOIN (
      SELECT entity_id, ts_ms AS __ts, toUInt8(1) AS __hit${Object.keys(v.values).map((x) => `, ${x}`).join('')}${running.map((r) => `, ${r}`).join('')}
      FROM (${grouped}) ${running.length > 0 ? 'WINDOW w AS (PARTITION BY entity_id ORDER BY ts_ms ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)' : ''}
    ) AS c ON p.entity_id = c.entity_id AND p.probe >= c.__ts
    GROUP BY p.row_id`
  return project(v, wanted, inner)
}

/** The features of a view over its probed columns (`row_id`, `__row_ts`, `__event_ts`, `__hit0`, `__ok`, …). */
function project(v: FeatureView, wanted: ReadonlySet<string>, inner: string): string {
  const feats = v.features.filter((x) => wanted.has(x.name))
    .map((x) => `if(__ok, ${castFeature(x.type, x.sql)}, NULL) AS ${x.name}`)
  return `SELECT row_id, if(__hit0, __event_ts, NULL) AS ${v.name}__event_ts${feats.map((x) => `, ${x}`).join('')} FROM (${inner})`
}

/**
 * The same columns for every entity at one instant `at`, for materialization: one aggregation over the raw source
 * rows in (at − lookback, at], no per-timestamp grouping, running totals or join. Integer window sums and latest values are the same
 * numbers the point-in-time query finds (the skew test checks it), only cheaper. `row_id` is the entity id here.
 */
export function viewAtSql(v: FeatureView, wanted: ReadonlySet<string>, ids: string, at: number, src: Sources): string {
  const source = fill(v.sourceSql, src, `(${ids})`, String(at - lookbackMs(v) - 1), String(at))
  // "Latest" orders by (ts, __order). As one UInt128 rather than a tuple, argMax runs ~4× faster (measured on
  // device_health); the order is the same since both are non-negative and __order fits 64 bits.
  const latest = 'bitShiftLeft(toUInt128(src.ts_ms), 64) + toUInt128(src.__order)'
  const sel: string[] = [
    'src.entity_id AS row_id', `toInt64(${at}) AS __row_ts`, 'max(src.ts_ms) AS __event_ts', 'count() > 0 AS __hit0',
    `__hit0 AND __row_ts - __event_ts <= ${v.ttlMs} AS __ok`,
    ...Object.entries(v.values).map(([x, expr]) => `argMax(${expr}, ${latest}) AS ${x}`),
  ]
  for (const [w, ms] of Object.entries(v.windows)) {
    for (const [s, expr] of Object.entries(v.sums)) sel.push(`sumIf(${expr}, src.ts_ms > ${at - ms}) AS ${s}__${w}`)
    for (const l of (v.lagged ?? []).filter((x) => x.window === w)) {
      const before = `src.ts_ms <= ${at - ms}`
      sel.push(`if(countIf(${before}) > 0 AND ${at - ms} - maxIf(src.ts_ms, ${before}) <= ${v.ttlMs}, argMaxIf(${v.values[l.value] ?? 'NULL'}, ${latest}, ${before}), NULL) AS ${l.value}__at_${w}`)
    }
  }
  return project(v, wanted, `SELECT ${sel.join(', ')} FROM (${source}) AS src GROUP BY src.entity_id`)
}

/**
 * The whole point-in-time query: entity rows in, one output row per entity row (ordered by row_id) with
 * `entity_id`, `ts_ms`, the extra columns, the features in the order asked and `<view>__event_ts` per view.
 */
export function pointInTimeSql(reg: Registry, features: readonly ResolvedFeature[], rows: EntityRowsSql, src: Sources): string {
  const views = reg.viewsFor(features)
  const wanted = withInputs(reg, features)
  const joins = views.map((v, i) => `LEFT JOIN (${viewSql(v, wanted, rows.from, src)}) AS v${i} ON v${i}.row_id = e.row_id`)
  return `SELECT e.row_id AS row_id, e.entity_id AS entity_id, e.ts_ms AS ts_ms${(rows.extra ?? []).map((c) => `, e.\`${c}\` AS \`${c}\``).join('')},
    ${outputColumns(reg, features, views)}
    FROM ${rows.from} AS e ${joins.join(' ')}
    ORDER BY row_id`
}

/** Every entity id of `ids` (a query with an `id` column) at one instant: what materialization writes. */
export function latestSql(reg: Registry, features: readonly ResolvedFeature[], ids: string, at: number, src: Sources): string {
  const views = reg.viewsFor(features)
  const wanted = withInputs(reg, features)
  const idsOnly = `SELECT DISTINCT toString(id) AS id FROM (${ids})`
  const joins = views.map((v, i) => `LEFT JOIN (${viewAtSql(v, wanted, idsOnly, at, src)}) AS v${i} ON v${i}.row_id = e.entity_id`)
  return `SELECT e.entity_id AS entity_id, toInt64(${at}) AS ts_ms, ${outputColumns(reg, features, views)}
    FROM (SELECT id AS entity_id FROM (${idsOnly})) AS e ${joins.join(' ')}`
}

function withInputs(reg: Registry, features: readonly ResolvedFeature[]): Set<string> {
  const names = new Set<string>(features.map((x) => x.name))
  for (const d of reg.derived) if (names.has(d.name)) for (const i of d.inputs) names.add(i)
  return names
}

/** Features in the order asked (derived ones computed here, NULL when an input is), then each view's event time. */
function outputColumns(reg: Registry, features: readonly ResolvedFeature[], views: readonly FeatureView[]): string {
  const cols = features.map((x) => {
    const d = reg.derived.find((y) => y.name === x.name)
    if (d === undefined) return `${x.name}`
    return `if(${d.inputs.map((i) => `isNull(${i})`).join(' OR ')}, NULL, ${castFeature(d.type, d.sql)}) AS ${d.name}`
  })
  return [...cols, ...views.map((v) => `${v.name}__event_ts`)].join(', ')
}
