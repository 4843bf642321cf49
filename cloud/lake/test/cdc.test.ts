import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CdcSync, Warehouse } from '../index.js'
import { startTestServer, type TestServer } from '../../test/pg-server.js'
import { lakeFixture, type LakeFixture } from './helpers.js'

let server: TestServer | undefined
let fx: LakeFixture
let wh: Warehouse

beforeAll(async () => {
  server = await startTestServer()
  fx = await lakeFixture()
  wh = await new Warehouse({ client: fx.client, root: 'lake' }).open()
})
afterAll(async () => {
  await wh?.close()
  await fx?.close()
  await server?.stop()
})

/** The source's rows as the lake sees them now: latest change per key, deletes dropped. */
async function lakeState(table: string, cols: string): Promise<Record<string, unknown>[]> {
  return wh.rows(`SELECT ${cols} FROM (SELECT *, row_number() OVER (PARTITION BY id ORDER BY _lsn DESC, _seq DESC) AS rn FROM raw.${table}) WHERE rn = 1 AND _op != 'd' ORDER BY id`)
}

async function sourceState(db: pg.Client, table: string, cols: string): Promise<Record<string, unknown>[]> {
  return (await db.query(`SELECT ${cols} FROM ${table} ORDER BY id`)).rows
}

async function duplicates(table: string): Promise<number> {
  const [r] = await wh.rows<{ n: string }>(`SELECT count() AS n FROM (SELECT id, _lsn, _seq FROM raw.${table} GROUP BY id, _lsn, _seq HAVING count() > 1)`)
  return Number(r?.n ?? 0)
}

describe('CDC from PostgreSQL into raw', () => {
  it('snapshots, then streams inserts, updates and deletes; survives crashes before and after the lake commit; evolves the schema', async (ctx) => {
    if (!server) return ctx.skip()
    const url = await server.createDatabase('lake_cdc')
    const db = new pg.Client({ connectionString: url })
    await db.connect()
    let cdc: CdcSync | undefined
    try {
      await db.query(`CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price double precision, made date, at timestamptz, meta jsonb)`)
      await db.query(`INSERT INTO items SELECT g, 'item' || g, g * 1.5, date '2026-01-01' + g, timestamptz '2026-01-01 00:00:00+00' + g * interval '1 hour', '{"a":1}' FROM generate_series(1, 50) g`)
      const cols = "id, name, price, toString(made) AS made, toString(toUnixTimestamp64Micro(at)) AS at"
      const srcCols = "id, name, price, to_char(made, 'YYYY-MM-DD') AS made, (extract(epoch from at) * 1000000)::bigint::text AS at"
      const norm = (rows: Record<string, unknown>[]) => rows.map((r) => ({ ...r, id: Number(r.id), at: String(r.at) }))

      cdc = new CdcSync({ warehouse: wh, databaseUrl: url, slot: 'lake_test', publication: 'lake_test', flushMs: 100 })
      expect(await cdc.prepare()).toEqual(['items'])
      await cdc.start()
      await db.query(`INSERT INTO items VALUES (51, 'new', 1, '2026-03-01', now(), null)`)
      await db.query(`UPDATE items SET name = 'renamed', price = 99 WHERE id <= 5`)
      await db.query(`DELETE FROM items WHERE id BETWEEN 10 AND 14`)
      await cdc.catchUp()
      expect(norm(await lakeState('items', cols))).toEqual(norm(await sourceState(db, 'items', srcCols)))
      const [ops] = await wh.rows<{ c: number; u: number; d: number }>(`SELECT countIf(_op='c') AS c, countIf(_op='u') AS u, countIf(_op='d') AS d FROM raw.items`)
      expect(ops).toEqual({ c: 1, u: 5, d: 5 })
      await cdc.close()

      // A crash after the lake commit but before the slot's acknowledgement: PostgreSQL redelivers, the lake skips.
      for (const phase of ['after-commit', 'before-commit'] as const) {
        let crashed = false
        cdc = new CdcSync({ warehouse: wh, databaseUrl: url, slot: 'lake_test', publication: 'lake_test', flushMs: 100, onPhase: (p) => {
          if (p === phase && !crashed) {
            crashed = true
            throw new Error(`simulated crash ${phase}`)
          }
        } })
        await cdc.prepare()
        await cdc.start()
        await db.query(`UPDATE items SET price = price + 1 WHERE id % 3 = 0`)
        await db.query(`INSERT INTO items SELECT g, 'batch', g, null, null, null FROM generate_series(${phase === "after-commit" ? 200 : 300}, ${phase === "after-commit" ? 220 : 320}) g`)
        await expect(cdc.catchUp(5000)).rejects.toThrow(/simulated crash/)
        await cdc.close()
        cdc = new CdcSync({ warehouse: wh, databaseUrl: url, slot: 'lake_test', publication: 'lake_test', flushMs: 100 })
        await cdc.prepare()
        await cdc.start()
        await cdc.catchUp()
        expect(norm(await lakeState('items', cols)), phase).toEqual(norm(await sourceState(db, 'items', srcCols)))
        expect(await duplicates('items'), phase).toBe(0)
        await cdc.close()
      }

      // A PostgreSQL migration adds a column: it appears in raw without rewriting existing data files.
      const filesBefore = await wh.rows<{ p: string }>(`SELECT DISTINCT _path AS p FROM raw.items ORDER BY p`)
      cdc = new CdcSync({ warehouse: wh, databaseUrl: url, slot: 'lake_test', publication: 'lake_test', flushMs: 100 })
      await cdc.prepare()
      await cdc.start()
      await db.query(`ALTER TABLE items ADD COLUMN colour text`)
      await db.query(`UPDATE items SET colour = 'red' WHERE id = 1`)
      await cdc.catchUp()
      const [red] = await lakeState('items', 'id, colour')
      expect(red).toEqual({ id: 1, colour: 'red' })
      const filesAfter = await wh.rows<{ p: string }>(`SELECT DISTINCT _path AS p FROM raw.items ORDER BY p`)
      expect(filesAfter.map((f) => f.p)).toEqual(expect.arrayContaining(filesBefore.map((f) => f.p)))
      await cdc.close()
    } finally {
      // An open replication connection would keep PostgreSQL from shutting down.
      await cdc?.close()
      await db.end()
    }
  })
})
