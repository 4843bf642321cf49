import { execFile } from 'node:child_process'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../common/index.js'
import { openBusiness, startEmbeddedPostgres, type Business, type EmbeddedPostgresHandle } from '../../cloud/index.js'
import { DashboardServer, type PlatformStatus } from '../../dashboards/index.js'
import { migrate, openClickHouse, type ClickHouseHandle } from '../../edge-gateway/index.js'
import { LakeUp, lakeDir, lakeUnreachable } from '../lake-up.js'
import { writeStackInfo } from '../stack-file.js'

/**
 * The lake as `tapflow up` wires it: it waits for the fleet's first frame, snapshots the business and follows it by
 * CDC, builds the models, and rebuilds them when the company closes a day. The stack is reduced to what the lake
 * reads from it (its chDB directory and the gateway's frame counter); PostgreSQL and chDB are real.
 */
let pg: EmbeddedPostgresHandle | undefined
let biz: Business
let ch: ClickHouseHandle
let lake: LakeUp | undefined
let dir = ''
let prevCwd = ''
const listeners: ((day: string) => Promise<void> | void)[] = []
const gateway = { stats: { framesIn: 0 } }
const LAYERS = ['raw', 'staging', 'intermediate', 'entity']

beforeAll(async () => {
  prevCwd = process.cwd()
  dir = await mkdtemp(join(tmpdir(), 'tapflow-lake-up-'))
  await chmod(dir, 0o755) // as root, PostgreSQL runs as the postgres user and must reach its cluster inside
  pg = await startEmbeddedPostgres({ dir: join(dir, 'data', 'postgres'), logger: silentLogger })
  process.chdir(dir) // chDB opens Iceberg files only under the working directory
  ch = openClickHouse({ path: join(dir, 'data', 'clickhouse') })
  await migrate(ch.client) // the gateway's telemetry tables, empty: no fleet ran
  biz = await openBusiness({ databaseUrl: pg.url, seed: 11, sim: { initialCustomers: 12, signupsPerDay: 2 }, logger: silentLogger })
  await biz.run({ days: 2, progress: false })
})

afterAll(async () => {
  await lake?.close()
  await biz?.close()
  await ch?.client.close()
  await pg?.close()
  if (prevCwd) process.chdir(prevCwd)
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** The status once the build for `day` is done and the lake has been read since. */
async function builtFor(day: string): Promise<PlatformStatus> {
  let s: PlatformStatus | undefined
  await expect.poll(async () => {
    s = await lake!.status()
    return s.lastRun?.day === day && s.readAt !== null && s.readAt >= s.lastRun.finishedAt
  }, { timeout: 30_000, interval: 200 }).toBe(true)
  return s!
}

function tapflow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = join(import.meta.dirname, '../bin/tapflow.js')
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 50_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr })
    })
  })
}

async function pgCount(table: string): Promise<number> {
  return Number((await biz.db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n)
}

describe('the lake in tapflow up', () => {
  it('refuses a lake outside the working directory, naming the fix', () => {
    expect(() => lakeDir(join(tmpdir(), 'elsewhere'))).toThrow(/outside the working directory .*--no-lake/)
    expect(lakeUnreachable(join(tmpdir(), 'elsewhere'))).toMatch(/outside the working directory/)
    expect(lakeUnreachable('data')).toBeUndefined()
  })

  it('waits for the first frame, follows CDC, builds, and rebuilds after a closed day', { timeout: 60_000 }, async () => {
    lake = new LakeUp({
      dataDir: 'data', stack: { clickhouse: { ...ch, location: join(dir, 'data', 'clickhouse') }, gateway },
      business: { databaseUrl: biz.db.url, onDayClosed: (l) => void listeners.push(l) }, intervalMs: 60_000, logger: silentLogger,
    })
    expect(listeners).toHaveLength(1)
    await new Promise((r) => setTimeout(r, 600))
    expect((await lake.status()).state).toBe('waiting') // no frame yet: the live fleet has the CPU
    gateway.stats.framesIn = 1
    await lake.ready()
    expect((await lake.status()).state).toBe('following')
    // The first build runs at once, not at the first midnight.
    const first = await builtFor('start')
    expect(first.lastRun).toMatchObject({ ok: true, error: null })
    expect(first.lastRun!.built).toBeGreaterThan(10)
    expect(first.lastRun!.tests.length).toBeGreaterThan(10)
    expect(first.lastRun!.tests.every((t) => t.failing === 0)).toBe(true)
    const row = (s: typeof first, t: string) => s.tables.find((x) => x.table === t)
    expect(row(first, 'staging.stg_customers')?.rows).toBe(await pgCount('customers'))
    expect(row(first, 'entity.entity_customers')?.rows).toBeGreaterThan(0)
    const customers = row(first, 'raw.customers')!
    expect(customers.maxAgeHours).toBe(48)
    expect(customers.lagSeconds).toBeLessThan(120)
    expect(customers.lastSnapshotId).toMatch(/^\d+$/)

    // A simulated day: the business writes to PostgreSQL, then the company's DAG says the day is closed.
    await biz.run({ days: 1, progress: false })
    const day = (await biz.state()).lastDay!
    for (const l of listeners) await l(day)
    const after = await builtFor(day)
    // The dashboard's Data platform view reads the same report.
    await using web = new DashboardServer({ client: ch.client, port: 0, logger: silentLogger })
    web.setPlatformStatus(() => lake!.status())
    await web.listen()
    const api = (await (await fetch(`${web.url}/api/platform`)).json()) as PlatformStatus
    expect(api.state).toBe('following')
    expect(api.tables).toHaveLength(after.tables.length)
    const layers = api.tables.map((t) => LAYERS.indexOf(t.table.split('.')[0] ?? ''))
    expect(layers).toEqual([...layers].sort((x, y) => x - y)) // raw, staging, intermediate, entity
    expect(api.lastRun?.day).toBe(day)
    expect(after.lastRun?.ok).toBe(true)
    expect(row(after, 'staging.stg_customers')?.rows).toBe(await pgCount('customers'))
    expect(row(after, 'staging.stg_customers')!.lastSnapshotId).not.toBe(row(first, 'staging.stg_customers')!.lastSnapshotId)
    expect(after.cdc!.changes).toBeGreaterThan(first.cdc!.changes)
  })

  it('tapflow lake query reads the lake while the stack holds its ClickHouse', { timeout: 60_000 }, async () => {
    // This test process stands in for the running stack: it holds data/clickhouse, and stack.json names its pid.
    writeStackInfo(join(dir, 'data'), { pid: process.pid, startedAt: new Date().toISOString(), sqlUrl: 'http://127.0.0.1:1' })
    const query = await tapflow('lake', 'query', '--data-dir', 'data', '--format', 'json', 'SELECT count() AS n FROM staging.stg_customers')
    expect(query.stderr).toBe('')
    expect(Number((JSON.parse(query.stdout) as { n: number | string }).n)).toBe(await pgCount('customers'))
  })

  it('closes once; a day closed after close starts nothing', { timeout: 30_000 }, async () => {
    if (!lake) throw new Error('the lake did not start')
    await lake.close()
    for (const l of listeners) await l('2099-01-01')
    expect((await lake.status()).lastRun?.day).not.toBe('2099-01-01')
    await lake.close()
  })
})
