import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../common/index.js'
import { buildModels, expandMacros, loadModels, orderModels, parseModel } from '../models.js'
import { parseLsn } from '../cdc.js'
import { icebergType, type Warehouse } from '../warehouse.js'

const model = (name: string, sql: string) => parseModel(name, 'staging', sql)

describe('model files', () => {
  it('reads refs, sources, materialization and tests from the header', () => {
    const m = parseModel('m', 'entity', `/*\nmaterialized: incremental\nincremental_key: day\ntests:\n  - not_null: [a, b]\n  - accepted_values: { column: t, values: [x, y] }\n  - relationships: { column: a, to: other, field: id }\n*/\nSELECT * FROM {{ ref('other') }} JOIN {{ source('raw', 'pours') }} USING a;`)
    expect(m).toMatchObject({ materialized: 'incremental', incrementalKey: 'day', refs: ['other'], sources: [{ namespace: 'raw', name: 'pours' }] })
    expect(m.tests).toEqual([
      { kind: 'not_null', column: 'a' }, { kind: 'not_null', column: 'b' },
      { kind: 'accepted_values', column: 't', values: ['x', 'y'] },
      { kind: 'relationships', column: 'a', to: 'other', field: 'id' },
    ])
    expect(m.sql.endsWith(';')).toBe(false)
  })

  it('a stopped build stops before its next model, touching no table', async () => {
    const touched: string[] = []
    const wh = { discover: async () => [], command: async (sql: string) => void touched.push(sql), rows: async (sql: string) => (touched.push(sql), []) }
    await expect(buildModels({ warehouse: wh as unknown as Warehouse, signal: AbortSignal.abort() })).rejects.toThrow(/model build stopped before stg_/)
    expect(touched).toEqual([])
  })

  it('orders by dependency and refuses cycles and unknown refs', () => {
    const a = model('a', `SELECT 1`)
    const b = model('b', `SELECT * FROM {{ ref('a') }}`)
    const c = model('c', `SELECT * FROM {{ ref('b') }} JOIN {{ ref('a') }} USING x`)
    expect(orderModels([c, b, a]).map((m) => m.name)).toEqual(['a', 'b', 'c'])
    expect(() => orderModels([model('x', `SELECT * FROM {{ ref('y') }}`), model('y', `SELECT * FROM {{ ref('x') }}`)])).toThrow(/cycle: x → y/)
    expect(() => orderModels([model('x', `SELECT * FROM {{ ref('nope') }}`)])).toThrow(ConfigError)
    expect(() => model('x', `/*\nmaterialized: incremental\n*/\nSELECT 1`)).toThrow(/incremental_key/)
  })

  it('ships models that order cleanly up to the entity layer', () => {
    const { models, freshness } = loadModels()
    const names = orderModels(models).map((m) => m.name)
    for (const e of ['entity_customers', 'entity_venues', 'entity_devices', 'fct_pours_daily']) expect(names).toContain(e)
    expect(names.indexOf('entity_venues')).toBeLessThan(names.indexOf('entity_customers'))
    expect(freshness.length).toBeGreaterThan(0)
  })
})

describe('macros', () => {
  it('expands cdc_latest into the latest-per-key query over its source, so the source is still seen', () => {
    const m = parseModel('stg_users', 'staging', "{{ cdc_latest('raw', 'users', 'user_id') }}")
    expect(m.sources).toEqual([{ namespace: 'raw', name: 'users' }])
    expect(m.sql).toContain('ORDER BY user_id, _lsn DESC, _seq DESC')
    expect(m.sql).toContain('LIMIT 1 BY user_id')
    expect(m.sql).toContain("WHERE _op != 'd'")
    expect(m.sql).not.toContain('cdc_latest')
  })

  it('leaves SQL without macros as it is', () => {
    expect(expandMacros('SELECT 1')).toBe('SELECT 1')
  })
})

describe('lake types and LSNs', () => {
  it('maps types chDB cannot write to Iceberg', () => {
    expect(icebergType('LowCardinality(String)')).toBe('String')
    expect(icebergType('Nullable(Bool)')).toBe('Nullable(Int32)')
    expect(icebergType('Array(UInt32)')).toBe('Array(Int64)')
    expect(icebergType('UInt16')).toBe('Int32')
    expect(icebergType("DateTime64(3, 'UTC')")).toBe("DateTime64(3, 'UTC')")
  })
  it('orders LSNs numerically', () => {
    expect(parseLsn('16/B374D848')).toBe(0x16b374d848n)
    expect(parseLsn('0/10') < parseLsn('1/0')).toBe(true)
  })
})
