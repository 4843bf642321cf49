import { beforeAll, describe, expect, it } from 'vitest'
import { useChDB } from '../../test/utils/index.js'
import { TABLE_SPECS, batchToken, clickHouseInsert, defineTable, migrate } from '../index.js'

interface Described {
  name: string
  type: string
  default_type: string
}

describe('table specs against the migrated schema', () => {
  const db = useChDB('tables-')
  beforeAll(async () => {
    await migrate(db.ch.client)
  })

  it.each(TABLE_SPECS.map((t) => [t.name, t] as const))('%s: every spec column exists with its type, and every column without a default is in the spec', async (_name, spec) => {
    const rs = await db.ch.client.query({ query: `DESCRIBE TABLE ${spec.name}`, format: 'JSONEachRow' })
    const described = await rs.json<Described>()
    const types = new Map(described.map((c) => [c.name, c.type]))
    expect(Object.fromEntries(spec.columnNames.map((c) => [c, types.get(c)]))).toEqual(spec.columns)
    // The insert names columns the table takes (an EPHEMERAL input stands for its field), with the field's type.
    const kinds = new Map(described.map((c) => [c.name, c.default_type]))
    spec.insertColumns.forEach((c, i) => {
      expect(types.get(c)).toBe(spec.columns[spec.columnNames[i]!])
      expect(kinds.get(c)).not.toMatch(/^(ALIAS|MATERIALIZED)$/)
    })
    const required = described.filter((c) => c.default_type === '').map((c) => c.name)
    expect(required.filter((c) => !(c in spec.columns))).toEqual([])
  })

  it('keys name spec columns, keyOf reads them, and toRow/fromRow round-trip in column order', () => {
    for (const spec of TABLE_SPECS) {
      for (const k of spec.key) expect(spec.columnNames).toContain(k)
      const row = spec.columnNames.map((_, i) => i)
      const record = spec.fromRow(row)
      expect(Object.keys(record)).toEqual(spec.columnNames)
      expect(spec.columnNames.map((c) => record[c])).toEqual(row)
      expect(spec.keyOf(row)).toBe(spec.key.map((k) => String(spec.columnNames.indexOf(k))).join('\u001f'))
    }
  })
})

/** Every column type the specs use, with the values that break naive text encodings. */
const EDGE = defineTable({
  name: 'line_check.edge',
  columns: {
    id: 'UInt32',
    lc: 'LowCardinality(String)',
    s: 'String',
    u64: 'UInt64',
    u16: 'UInt16',
    i16: 'Int16',
    f32: 'Float32',
    f64: 'Float64',
    b: 'Bool',
    ts: "DateTime64(3, 'UTC')",
    maybe_ts: "Nullable(DateTime64(3, 'UTC'))",
    codes: 'Array(UInt32)',
  },
  key: ['id'],
})

// NaN and ±Infinity have no JSON form (JSON.stringify writes null, which inserts the column default); the
// gateway dead-letters them before a row is built (decode.ts), so they are not row values. -0 lands as 0 (JSON
// prints no sign for it), which compares equal.
const F32 = [0, 0.1, -273.15, 1.401298464324817e-45, 1.1754943508222875e-38, 3.4028234663852886e38, -3.4028234663852886e38, 16777217, 3.3, 1e-7, 123456.789]
const STRINGS = ['', 'plain', 'tab\there', 'new\nline', 'back\\slash', 'cr\rlf\r\n', '\\N', 'ünïcødé 🍺', '{"json":"\\"quoted\\""}', '[1,2]']
const TIMES = [Date.UTC(2026, 10, 30, 12, 0, 0, 7), 1_000, 0, Date.UTC(2300, 0, 1) - 1, 999_999_999_999, 1_000_000_000_000]

describe('JSONCompactEachRow lines (spec.lineOf) as ClickHouse decodes them', () => {
  const db = useChDB('lines-')
  beforeAll(async () => {
    await db.ch.client.command({ query: 'CREATE DATABASE line_check' })
    const cols = Object.entries(EDGE.columns).map(([n, t]) => `${n} ${t}`).join(', ')
    await db.ch.client.command({ query: `CREATE TABLE ${EDGE.name} (${cols}) ENGINE = MergeTree ORDER BY id` })
  })

  it('inserts every value as the spec encoded it, and reads back every column equal', async () => {
    const n = Math.max(F32.length, STRINGS.length, TIMES.length)
    const records = Array.from({ length: n }, (_, i) => ({
      id: i,
      lc: STRINGS[(i + 3) % STRINGS.length]!,
      s: STRINGS[i % STRINGS.length]!,
      u64: [0, 1, 2 ** 53 - 1][i % 3]!,
      u16: [0, 65535][i % 2]!,
      i16: [-32768, 32767, -61][i % 3]!,
      f32: F32[i % F32.length]!,
      f64: [Math.PI, 0, 5e-324, Number.MAX_VALUE, -1e-300][i % 5]!,
      b: i % 2 === 0,
      ts: TIMES[i % TIMES.length]!,
      maybe_ts: i % 2 === 0 ? null : TIMES[(i + 1) % TIMES.length]!,
      codes: i % 3 === 0 ? [] : [0, 4294967295, i],
    }))
    const rows = records.map((r) => EDGE.toRow(r))
    const lines = rows.map((r) => EDGE.lineOf(r))
    const bytes = [Buffer.from(lines.join(''), 'utf8')]
    await clickHouseInsert(db.ch.client)(EDGE.name, EDGE.columnNames, { count: rows.length, rows, bytes }, batchToken(EDGE.name, bytes))
    const rs = await db.ch.client.query({
      query: `SELECT id, lc, s, toString(u64) AS u64, u16, i16, isNaN(f32) AS f32_nan, reinterpretAsUInt32(f32) AS f32_bits,
        isNaN(f64) AS f64_nan, toString(reinterpretAsUInt64(f64)) AS f64_bits, b, toString(toUnixTimestamp64Milli(ts)) AS ts,
        if(isNull(maybe_ts), NULL, toString(toUnixTimestamp64Milli(assumeNotNull(maybe_ts)))) AS maybe_ts, codes
        FROM ${EDGE.name} ORDER BY id`,
      format: 'JSONEachRow',
    })
    const back = await rs.json<Record<string, unknown>>()
    const f32Bits = (v: number): number => new Uint32Array(new Float32Array([v]).buffer)[0]!
    const f64Bits = (v: number): string => new BigUint64Array(new Float64Array([v]).buffer)[0]!.toString()
    expect(back).toEqual(records.map((r) => ({
      id: r.id, lc: r.lc, s: r.s, u64: String(r.u64), u16: r.u16, i16: r.i16,
      f32_nan: Number.isNaN(r.f32) ? 1 : 0, f32_bits: Number.isNaN(r.f32) ? expect.any(Number) : f32Bits(r.f32),
      f64_nan: Number.isNaN(r.f64) ? 1 : 0, f64_bits: Number.isNaN(r.f64) ? expect.any(String) : f64Bits(r.f64),
      b: r.b, ts: String(r.ts), maybe_ts: r.maybe_ts === null ? null : String(r.maybe_ts), codes: r.codes,
    })))
  })

  it('fromLine is the inverse of lineOf', () => {
    const row = EDGE.toRow({ id: 1, lc: 'a\tb', s: 'back\\slash\n', u64: 7, u16: 2, i16: -3, f32: 0.5, f64: 1e300, b: true, ts: 1_000, maybe_ts: null, codes: [1, 2] })
    expect(EDGE.fromLine(EDGE.lineOf(row))).toEqual(row)
  })
})
