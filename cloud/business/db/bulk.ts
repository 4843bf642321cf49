import pg from 'pg'
import type { Queryable } from './database.js'

/** Column name and PostgreSQL element type, e.g. ['amount', 'int8']. */
export type Column = readonly [name: string, type: string]

/** What pg hands a query object once the server is ready for COPY data (absent from pg's typings). */
interface CopyConnection {
  sendCopyFromChunk(chunk: Buffer): void
  endCopyFrom(): void
}

/** `COPY … FROM STDIN` with its data in hand: pg's own Query, answering the server's CopyInResponse with it. */
class CopyFrom extends pg.Query {
  constructor(text: string, private readonly data: Buffer, done: (err: Error | undefined) => void) {
    super(text, done)
  }

  handleCopyInResponse(connection: CopyConnection): void {
    connection.sendCopyFromChunk(this.data)
    connection.endCopyFrom()
  }
}

const SPECIAL = /[\\\n\r\t]/
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/**
 * One value in COPY's text format. Values read as they did in the JSON rows this replaced: null, undefined and
 * non-finite numbers become NULL; objects are written as JSON.
 */
function copyValue(v: unknown): string {
  if (typeof v === 'string') return SPECIAL.test(v) ? v.replace(/[\\\n\r\t]/g, (ch) => ESCAPES[ch] ?? ch) : v
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '\\N'
  if (v === null || v === undefined) return '\\N'
  if (typeof v === 'boolean') return v ? 't' : 'f'
  return copyValue(JSON.stringify(v))
}

/**
 * Insert many rows in one round trip with COPY: measured against the JSON-array INSERT it replaced (and unnest()
 * over typed arrays), the server parses no JSON and does about a fifth less work per row.
 */
export async function insertRows(c: Queryable, table: string, columns: readonly Column[], rows: readonly unknown[][]): Promise<number> {
  if (rows.length === 0) return 0
  let text = ''
  for (const r of rows) {
    for (let i = 0; i < columns.length; i++) text += (i === 0 ? '' : '\t') + copyValue(r[i])
    text += '\n'
  }
  const sql = `COPY ${table} (${columns.map(([n]) => n).join(', ')}) FROM STDIN`
  await new Promise<void>((resolve, reject) => {
    c.query(new CopyFrom(sql, Buffer.from(text), (err) => (err ? reject(err) : resolve())))
  })
  return rows.length
}

/** Update rows by key from parallel arrays: `UPDATE t SET col = u.col … FROM unnest(...) u WHERE t.key = u.key`. */
export async function updateRows(c: Queryable, table: string, key: Column, columns: readonly Column[], rows: readonly unknown[][]): Promise<number> {
  if (rows.length === 0) return 0
  const all = [key, ...columns]
  const arrays = all.map((_, i) => rows.map((r) => r[i] ?? null))
  const names = all.map(([n]) => n).join(', ')
  const un = all.map(([, t], i) => `$${i + 1}::${t}[]`).join(', ')
  const sets = columns.map(([n]) => `${n} = u.${n}`).join(', ')
  await c.query(`UPDATE ${table} t SET ${sets} FROM unnest(${un}) AS u(${names}) WHERE t.${key[0]} = u.${key[0]}`, arrays)
  return rows.length
}
