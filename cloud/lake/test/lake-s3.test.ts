import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import S3rver from 's3rver'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Warehouse } from '../index.js'
import { lakeFixture, type LakeFixture } from './helpers.js'

// A local S3-compatible endpoint (s3rver, from npm) stands in for MinIO / S3.
let s3: S3rver
let s3dir: string
let endpoint: string
let fx: LakeFixture

beforeAll(async () => {
  s3dir = await mkdtemp(join(tmpdir(), 'tapflow-s3-'))
  s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: s3dir, configureBuckets: [{ name: 'lake', configs: [] }] })
  const addr = await s3.run()
  endpoint = `http://127.0.0.1:${addr.port}`
  fx = await lakeFixture()
})
afterAll(async () => {
  await fx?.close()
  await s3?.close()
  await rm(s3dir, { recursive: true, force: true })
})

describe('the lake on S3 (--lake-url)', () => {
  it('writes Iceberg tables through IcebergS3, lists them, and travels back in time', async () => {
    const opts = { client: fx.client, s3: { url: 's3://lake/tapflow', endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } }
    const wh = await new Warehouse(opts).open()
    const t = { namespace: 'raw', name: 'things' } as const
    await wh.ensure(t, [['id', 'Int64'], ['ts', "DateTime64(3, 'UTC')"]], 'toRelativeDayNum(ts)')
    await wh.insertRows(t, [{ id: 1, ts: '2026-01-01 00:00:00' }, { id: 2, ts: '2026-01-02 00:00:00' }])
    await wh.insertRows(t, [{ id: 3, ts: '2026-01-02 00:00:00' }])
    expect(await wh.rows('SELECT count() AS n, sum(id) AS s FROM raw.things')).toEqual([{ n: 3, s: 6 }])
    const snaps = await wh.snapshots(t)
    expect(snaps).toHaveLength(2)
    expect(await wh.rows('SELECT count() AS n FROM raw.things', { iceberg_snapshot_id: snaps[0]?.snapshotId ?? '' })).toEqual([{ n: 2 }])
    await wh.close()

    // A fresh catalog over the same bucket finds the table from storage alone.
    const again = await new Warehouse(opts).open()
    expect(await again.discover()).toEqual([t])
    expect((await again.list())[0]).toMatchObject({ namespace: 'raw', name: 'things', rows: 3, snapshots: 2 })
    await again.close()
  })
})
