import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, type Logger } from '../common/index.js'
import { readOnlyQuery, startEmbeddedPostgres, type ReadOnlyResult } from '../cloud/index.js'
import { readStackInfo } from './stack-file.js'

export interface BusinessSqlOptions {
  dataDir: string
  databaseUrl?: string
  maxRows: number
  /** Seconds. */
  timeout: number
  format: 'table' | 'tsv' | 'json'
  logger: Logger
}

/**
 * `tapflow business sql`: a read-only, bounded query. A running stack is asked through its SELECT-only login (from
 * stack.json); a stopped one has its embedded PostgreSQL started on the data dir for the query and stopped after.
 */
export async function businessSql(query: string, o: BusinessSqlOptions): Promise<void> {
  const q = { maxRows: o.maxRows, timeoutMs: o.timeout * 1000 }
  let result: ReadOnlyResult
  if (o.databaseUrl !== undefined) {
    result = await readOnlyQuery(o.databaseUrl, query, q)
  } else {
    const running = readStackInfo(o.dataDir)
    if (running?.businessUrl !== undefined) {
      result = await readOnlyQuery(running.businessUrl, query, q)
    } else {
      if (running !== undefined) throw new ConfigError(`the stack running on ${o.dataDir} (pid ${running.pid}) has no business database open; start it without --no-business, or wait until it is up`)
      if (!existsSync(join(o.dataDir, 'postgres', 'PG_VERSION'))) {
        throw new ConfigError(`no business database in ${o.dataDir}: run 'make up' or 'tapflow business run' first (or pass --data-dir / --database-url)`)
      }
      const pg = await startEmbeddedPostgres({ dir: join(o.dataDir, 'postgres'), logger: o.logger })
      try {
        result = await readOnlyQuery(pg.url, query, q)
      } finally {
        await pg.close()
      }
    }
  }
  print(result, o.format)
  if (result.truncated) process.stderr.write(`(first ${o.maxRows} rows shown; raise --max-rows or add LIMIT)\n`)
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL'
  if (v instanceof Date) return v.toISOString()
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

function print(r: ReadOnlyResult, format: BusinessSqlOptions['format']): void {
  if (format === 'json') {
    for (const row of r.rows) process.stdout.write(`${JSON.stringify(Object.fromEntries(r.columns.map((c, i) => [c, row[i] ?? null])))}\n`)
    return
  }
  const text = r.rows.map((row) => row.map(cell))
  if (format === 'tsv') {
    for (const line of [r.columns, ...text]) process.stdout.write(`${line.map((c) => c.replace(/[\t\n]/g, ' ')).join('\t')}\n`)
    return
  }
  const w = r.columns.map((c, i) => Math.min(60, Math.max(c.length, ...text.map((row) => (row[i] ?? '').length))))
  const fmt = (line: readonly string[]): string => line.map((c, i) => c.slice(0, 60).padEnd(w[i] ?? 0)).join('  ').trimEnd()
  process.stdout.write(`${fmt(r.columns)}\n${w.map((n) => '-'.repeat(n)).join('  ')}\n`)
  for (const row of text) process.stdout.write(`${fmt(row)}\n`)
  process.stdout.write(`(${r.rows.length} row${r.rows.length === 1 ? '' : 's'})\n`)
}
