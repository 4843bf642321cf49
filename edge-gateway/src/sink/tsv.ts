/**
 * ClickHouse's TabSeparated text, one cell at a time: the form in which a row is written to the WAL and, the
 * same bytes concatenated, inserted. Chosen over JSONCompactEachRow because the engine parses it several times
 * faster and a cell needs no quoting, and over RowBinary because chDB 3.4's connection turns an insert body into
 * a UTF-8 string (`streamToString`) and its raw-insert path accepts text formats only: binary bytes would not
 * survive. Table specs pick an encoder per column type (`cellCode`) and compile a row's line from them.
 */

/** Cell escapes ClickHouse reads back in TabSeparated: backslash, tab, newline and carriage return. */
const NEEDS_ESCAPE = /[\\\t\n\r]/
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }

export function tsvString(v: string): string {
  return NEEDS_ESCAPE.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : v
}

/** Floats: ClickHouse reads `nan`, `inf`, `-inf`; everything else as JavaScript prints it (shortest round trip). */
export function tsvFloat(v: number): string {
  if (v === v && v !== Infinity && v !== -Infinity) return Object.is(v, -0) ? '-0' : String(v)
  return v !== v ? 'nan' : v > 0 ? 'inf' : '-inf'
}

/**
 * DateTime64(3) from epoch milliseconds. `seconds.mmm` is the cheap form, but ClickHouse reads a number as a
 * Unix time only when it has 10 integer digits (2001-09-09 to 2286-11-20); anything else is written as a UTC
 * date-time, which the column's 'UTC' zone reads back.
 */
export function tsvDateTime64(ms: number): string {
  const t = Math.floor(ms)
  const s = Math.floor(t / 1000)
  if (s >= 1e9 && s < 1e10) {
    const frac = t - s * 1000
    return `${s}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`
  }
  return new Date(t).toISOString().slice(0, 23).replace('T', ' ')
}

export function tsvNumberArray(v: readonly number[]): string {
  return `[${v.join(',')}]`
}

/** The encoder a generated line function calls for a column of type `type`, as an expression over `x`. */
export function cellCode(type: string, x: string): string {
  const nullable = /^Nullable\((.*)\)$/.exec(type)
  if (nullable !== null) return `(${x} === null ? '\\\\N' : ${cellCode(nullable[1]!, x)})`
  const inner = /^LowCardinality\((.*)\)$/.exec(type)?.[1] ?? type
  if (inner === 'String') return `E.tsvString(${x})`
  if (inner === 'Bool') return `(${x} ? 'true' : 'false')`
  if (inner.startsWith('DateTime64(')) return `E.tsvDateTime64(${x})`
  if (/^Float(32|64)$/.test(inner)) return `E.tsvFloat(${x})`
  if (/^U?Int(8|16|32|64)$/.test(inner)) return `('' + ${x})`
  if (/^Array\(U?Int(8|16|32|64)\)$/.test(inner)) return `E.tsvNumberArray(${x})`
  throw new Error(`no TabSeparated encoder for column type ${type}`)
}

/** The inverse of a cell's encoding, for WAL replay (not the hot path). */
export function parseCell(type: string, text: string): unknown {
  const nullable = /^Nullable\((.*)\)$/.exec(type)
  if (nullable !== null) return text === '\\N' ? null : parseCell(nullable[1]!, text)
  const inner = /^LowCardinality\((.*)\)$/.exec(type)?.[1] ?? type
  if (inner === 'String') return text.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r' })[c] ?? c)
  if (inner === 'Bool') return text === 'true'
  if (inner.startsWith('DateTime64(')) {
    if (/^\d{10}\.\d{3}$/.test(text)) return Number(text.replace('.', ''))
    return Date.parse(`${text.replace(' ', 'T')}Z`)
  }
  if (/^Float(32|64)$/.test(inner)) return text === 'nan' ? NaN : text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text)
  if (/^Array\(/.test(inner)) return text === '[]' ? [] : text.slice(1, -1).split(',').map(Number)
  return Number(text)
}

export const TSV_ENCODERS = { tsvString, tsvFloat, tsvDateTime64, tsvNumberArray }
