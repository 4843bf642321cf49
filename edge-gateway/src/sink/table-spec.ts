/**
 * What a ClickHouse table is to the gateway: its name, its columns with their types (as `DESCRIBE TABLE`
 * prints them), the key that identifies a row, `toRow`, which turns a named record into the positional row the
 * batcher keys and `onInserted` sees, and `lineOf`, which turns that row into the JSONCompactEachRow line that
 * the WAL stores and the insert sends, byte for byte. Only a spec knows its column order and types.
 */

/** The TypeScript value a ClickHouse column type takes on the wire (DateTime64 as epoch milliseconds). */
export type CellOf<T extends string> = T extends `Nullable(${infer I})`
  ? CellOf<I> | null
  : T extends `LowCardinality(${infer I})`
    ? CellOf<I>
    : T extends `Array(${infer I})`
      ? CellOf<I>[]
      : T extends 'String'
        ? string
        : T extends 'Bool'
          ? boolean
          : T extends `DateTime64(${string})` | `${'UInt' | 'Int' | 'Float'}${number}`
            ? number
            : never

/** Column name → ClickHouse type, in insert order. */
export type Columns = Readonly<Record<string, string>>

/** A table's row as a named object: one field per column. */
export type RecordOf<C extends Columns> = { -readonly [K in keyof C]: CellOf<C[K]> }

/** One value on the wire. */
export type Cell = string | number | boolean | null | readonly number[]

/** A row in insert order. Build one with a spec's `toRow`, read one with `fromRow`. */
export type Row = Cell[]

/** What code that handles every table alike (batchers, WAL replay) sees of a spec: no record type. */
export interface AnyTableSpec {
  /** `database.table`. */
  readonly name: string
  readonly columns: Columns
  /** Column names in insert order: the record's fields, the row's cells. */
  readonly columnNames: readonly string[]
  /**
   * The columns an insert names, cell for cell: `columnNames`, except where the table takes a field through an
   * input column of another name (an EPHEMERAL column that a stored one is computed from, see migration 10).
   */
  readonly insertColumns: readonly string[]
  /** Columns that identify a row: the batch's dedup token and WAL replay's "already there?" check use them. */
  readonly key: readonly string[]
  /** The inverse of `toRow`, for rows read back from the WAL or handed to `onInserted`. */
  fromRow(row: readonly unknown[]): Readonly<Record<string, unknown>>
  /** The row's key values as one string (the same string `keySql` yields for the stored row, joined). */
  keyOf(row: readonly unknown[]): string
  /** SQL expressions that print each key column as `keyOf` does (DateTime64 as epoch ms). */
  readonly keySql: readonly string[]
  /** The row as one JSONCompactEachRow line, `\n` included: what the WAL stores and the insert sends. */
  lineOf(row: readonly unknown[]): string
  /** The inverse of `lineOf` (WAL replay). A line logged before columns were added has fewer cells. */
  fromLine(line: string): unknown[]
}

export interface TableSpec<C extends Columns> extends AnyTableSpec {
  readonly columns: C
  readonly columnNames: readonly (keyof C & string)[]
  readonly key: readonly (keyof C & string)[]
  toRow(record: RecordOf<C>): Row
  fromRow(row: readonly unknown[]): RecordOf<C>
}

/** Joins key values; a control character that ids and payloads (base64) never contain. */
export const KEY_SEPARATOR = '\u001f'

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/

export function defineTable<const C extends Columns>(def: {
  name: string
  columns: C
  key: readonly (keyof C & string)[]
  /** Fields the insert names differently (field → input column). Default: none. */
  insertAs?: Partial<Record<keyof C & string, string>>
}): TableSpec<C> {
  const names = Object.keys(def.columns) as (keyof C & string)[]
  const insertColumns = names.map((n) => def.insertAs?.[n] ?? n)
  const bad = [...names, ...insertColumns].find((n) => !IDENTIFIER.test(n))
  if (bad !== undefined) throw new Error(`${def.name}: column name '${bad}' is not a plain identifier`)
  const keyIdx = def.key.map((k) => names.indexOf(k))
  if (keyIdx.some((i) => i < 0)) throw new Error(`${def.name}: key ${def.key.join(', ')} names a column it does not have`)
  return {
    name: def.name,
    columns: def.columns,
    columnNames: names,
    insertColumns,
    key: def.key,
    toRow: compile<(record: RecordOf<C>) => Row>('r', `return [${names.map((n) => `r.${n}`).join(', ')}]`),
    fromRow: compile<(row: readonly unknown[]) => RecordOf<C>>('row', `return { ${names.map((n, i) => `${n}: row[${i}]`).join(', ')} }`),
    keyOf: compile<(row: readonly unknown[]) => string>('row', `return ${keyIdx.map((i) => `String(row[${i}])`).join(` + ${JSON.stringify(KEY_SEPARATOR)} + `)}`),
    keySql: def.key.map((k) => (def.columns[k]!.includes('DateTime64') ? `toString(toUnixTimestamp64Milli(${k}))` : `toString(${k})`)),
    lineOf: (row) => `${JSON.stringify(row)}\n`,
    fromLine: (line) => {
      const row: unknown = JSON.parse(line)
      if (!Array.isArray(row)) throw new Error(`${def.name}: a WAL line is not a row: ${line.slice(0, 100)}`)
      return row
    },
  }
}

/**
 * Every frame's record passes through `toRow` (and every row through `keyOf` for its batch token). Written as a
 * literal over named fields it costs ~40 ns; a loop reading `record[name]` costs ~500 ns (a megamorphic keyed
 * load per column), measured on this machine. So the literal is generated once per table, from column names
 * checked above to be plain identifiers.
 */
function compile<F>(param: string, body: string): F {
  return new Function(param, body) as F
}

/**
 * Takes one record for `table` into the durable path. `onDurable` runs once the row will not be lost: when it
 * is in the WAL (with one), or in ClickHouse (without). For a frame from MQTT it is the frame's PUBACK.
 */
export type StoreFn = <C extends Columns>(table: TableSpec<C>, record: RecordOf<C>, onDurable: () => void) => void
