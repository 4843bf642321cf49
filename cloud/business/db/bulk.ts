import type { Queryable } from './database.js'

/** Column name and PostgreSQL element type, e.g. ['amount', 'int8']. */
export type Column = readonly [name: string, type: string]

const CHUNK = 20_000

/**
 * Insert many rows in one round trip per chunk. Rows travel as one JSON array of tuples: measured faster here
 * than unnest() over typed arrays, mostly because jsonb columns need no array-literal escaping.
 */
export async function insertRows(c: Queryable, table: string, columns: readonly Column[], rows: readonly unknown[][]): Promise<number> {
  const names = columns.map(([n]) => n).join(', ')
  const exprs = columns.map(([, t], i) => `(r->>${i})::${t}`).join(', ')
  const sql = `INSERT INTO ${table} (${names}) SELECT ${exprs} FROM jsonb_array_elements($1::jsonb) r`
  for (let start = 0; start < rows.length; start += CHUNK) {
    await c.query(sql, [JSON.stringify(rows.slice(start, start + CHUNK))])
  }
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
