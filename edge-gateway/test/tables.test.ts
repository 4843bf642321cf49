import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TABLE_SPECS, migrate, openClickHouse, type ClickHouseHandle } from '../index.js'

interface Described {
  name: string
  type: string
  default_type: string
}

describe('table specs against the migrated schema', () => {
  let dir: string
  let ch: ClickHouseHandle
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tapflow-tables-'))
    ch = openClickHouse({ path: join(dir, 'clickhouse') })
    await migrate(ch.client)
  })
  afterAll(async () => {
    await ch.client.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it.each(TABLE_SPECS.map((t) => [t.name, t] as const))('%s: every spec column exists with its type, and every column without a default is in the spec', async (_name, spec) => {
    const rs = await ch.client.query({ query: `DESCRIBE TABLE ${spec.name}`, format: 'JSONEachRow' })
    const described = await rs.json<Described>()
    const types = new Map(described.map((c) => [c.name, c.type]))
    expect(Object.fromEntries(spec.columnNames.map((c) => [c, types.get(c)]))).toEqual(spec.columns)
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
