import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TapflowClickHouseError, silentLogger } from '../../common/index.js'
import { ReadOnlySql } from '../../edge-gateway/index.js'
import { fleetKeyPath, startGatewayStack, type GatewayStack } from '../../cli/stack.js'

// The read-only SQL surface, wired as `tapflow up` wires it, against the real embedded engine: the SQL port first,
// then (with the stack stopped) the offline `tapflow sql --data-dir` path, through the same table of attacks.

const dir = mkdtempSync(join(tmpdir(), 'tapflow-sql-'))
const outFile = join(dir, 'written-by-sql.txt')
const LIMITS = { maxSeconds: 4, maxMemoryBytes: 256 * 1024 * 1024, maxResultRows: 1_000, maxResultBytes: 1024 * 1024, maxConcurrent: 2 }
let stack: GatewayStack | undefined
let sqlUrl: string
let key: string

async function post(query: string, params = ''): Promise<{ status: number; code: number; body: string }> {
  const res = await fetch(`${sqlUrl}/${params}`, { method: 'POST', body: query })
  return { status: res.status, code: Number(res.headers.get('x-clickhouse-exception-code') ?? 0), body: await res.text() }
}

function tapflow(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['cli/bin/tapflow.js', ...args], { cwd: join(import.meta.dirname, '../..'), encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr })
    })
  })
}

const READONLY = 164
const ACCESS_DENIED = 497
const SYNTAX = 62

/** Every reproduction from issue 10, and the ways around a guard one would try first. */
const DENIED: [string, () => string, number][] = [
  ['file() read of the fleet key', () => `SELECT * FROM file('${fleetKeyPath(dir)}', 'LineAsString')`, ACCESS_DENIED],
  ['file() the scalar function (readonly=1 lets it through)', () => `SELECT file('${fleetKeyPath(dir)}')`, ACCESS_DENIED],
  ['INSERT INTO FUNCTION file()', () => `INSERT INTO FUNCTION file('${outFile}', 'LineAsString') SELECT 'overwritten' SETTINGS engine_file_truncate_on_insert=1`, READONLY],
  ['url()', () => `SELECT * FROM url('http://127.0.0.1:9/metrics', 'LineAsString')`, ACCESS_DENIED],
  ['INSERT INTO FUNCTION url()', () => `INSERT INTO FUNCTION url('http://127.0.0.1:9/x', 'CSV', 'a String') SELECT 'x'`, READONLY],
  ['s3()', () => `SELECT * FROM s3('http://127.0.0.1:9/bucket/key.csv', 'CSV')`, ACCESS_DENIED],
  ['postgresql()', () => `SELECT * FROM postgresql('127.0.0.1:9', 'db', 't', 'u', 'p')`, ACCESS_DENIED],
  ['mysql()', () => `SELECT * FROM mysql('127.0.0.1:9', 'db', 't', 'u', 'p')`, ACCESS_DENIED],
  ['remote()', () => `SELECT * FROM remote('127.0.0.1:9', system.one)`, ACCESS_DENIED],
  ['remoteSecure()', () => `SELECT * FROM remoteSecure('127.0.0.1:9', system.one)`, ACCESS_DENIED],
  ['cluster()', () => `SELECT * FROM cluster('default', system.one)`, ACCESS_DENIED],
  ['hdfs()', () => `SELECT * FROM hdfs('hdfs://127.0.0.1:9/x', 'CSV', 'a String')`, ACCESS_DENIED],
  ['sqlite()', () => `SELECT * FROM sqlite('${dir}/x.db', 't')`, ACCESS_DENIED],
  ['executable()', () => `SELECT * FROM executable('id', 'TSV', 'x String')`, ACCESS_DENIED],
  ['icebergLocal()', () => `SELECT * FROM icebergLocal('${dir}')`, ACCESS_DENIED],
  ['merge() over any database', () => `SELECT * FROM merge(REGEXP('.*'), '.*')`, ACCESS_DENIED],
  ['dictGet()', () => `SELECT dictGet('d', 'a', toUInt64(1))`, ACCESS_DENIED],
  ['another database', () => `SELECT * FROM default.anything`, ACCESS_DENIED],
  ['KILL QUERY of the gateway inserts', () => `KILL QUERY WHERE query ILIKE '%INSERT%' SYNC`, READONLY],
  ['CREATE TEMPORARY TABLE', () => `CREATE TEMPORARY TABLE t (x UInt8)`, READONLY],
  ['sticky SET', () => `SET max_result_rows=1, result_overflow_mode='throw'`, READONLY],
  ['SYSTEM', () => `SYSTEM FLUSH LOGS`, READONLY],
  ['USE', () => `USE system`, READONLY],
  ['OPTIMIZE', () => `OPTIMIZE TABLE tapflow.pours FINAL`, READONLY],
  ['INSERT', () => `INSERT INTO tapflow.pours SELECT * FROM tapflow.pours`, READONLY],
  ['ALTER … DELETE', () => `ALTER TABLE tapflow.pours DELETE WHERE 1`, READONLY],
  ['DROP', () => `DROP TABLE tapflow.pours`, READONLY],
  ['TRUNCATE', () => `TRUNCATE TABLE tapflow.pours`, READONLY],
  ['GRANT', () => `GRANT ALL ON *.* TO default`, READONLY],
  ['SETTINGS readonly=0 in the query', () => `SELECT 1 SETTINGS readonly=0`, READONLY],
  ['SETTINGS raising a limit', () => `SELECT count() FROM numbers(10) SETTINGS max_execution_time=100000`, READONLY],
  ['INTO OUTFILE', () => `SELECT 1 INTO OUTFILE '${outFile}'`, READONLY],
  ['INTO OUTFILE with a format', () => `SELECT 'x' INTO OUTFILE '${outFile}' FORMAT CSV`, READONLY],
  ['SHOW … INTO OUTFILE', () => `SHOW TABLES FROM tapflow INTO OUTFILE '${outFile}'`, READONLY],
  ['DESCRIBE … INTO OUTFILE', () => `DESCRIBE TABLE tapflow.pours INTO OUTFILE '${outFile}'`, READONLY],
  ['EXPLAIN … INTO OUTFILE', () => `EXPLAIN SELECT 1 INTO OUTFILE '${outFile}'`, READONLY],
  ['a second statement', () => `SELECT 1; KILL QUERY WHERE 1`, SYNTAX],
  ['a second statement after a comment', () => `SELECT 1 /* ; */ -- x\n; SET readonly = 0`, SYNTAX],
  ['comments around a table function, upper case', () => `/* hi */ SELECT * FROM FILE('${fleetKeyPath(dir)}') -- bye`, ACCESS_DENIED],
  ['view() around a table function', () => `SELECT * FROM view(SELECT * FROM file('${fleetKeyPath(dir)}', 'LineAsString'))`, ACCESS_DENIED],
  ['nested subqueries around a table function', () => `SELECT * FROM (SELECT * FROM (SELECT * FROM url('http://127.0.0.1:9/', 'LineAsString')))`, ACCESS_DENIED],
  ['a table function in a CTE', () => `WITH k AS (SELECT * FROM file('${fleetKeyPath(dir)}', 'LineAsString')) SELECT * FROM k`, ACCESS_DENIED],
  ['a table function in IN (…)', () => `SELECT 1 WHERE 1 IN (SELECT 1 FROM url('http://127.0.0.1:9/', 'LineAsString'))`, ACCESS_DENIED],
  ['DESCRIBE of a table function (schema inference reads the file)', () => `DESCRIBE file('${fleetKeyPath(dir)}')`, ACCESS_DENIED],
  ['EXPLAIN of a table function', () => `EXPLAIN SELECT * FROM file('${fleetKeyPath(dir)}', 'LineAsString')`, ACCESS_DENIED],
  ['EXPLAIN of an INSERT', () => `EXPLAIN PIPELINE INSERT INTO FUNCTION file('${outFile}', 'CSV', 'a String') SELECT 'x'`, READONLY],
]

/** Reads that must keep working, with what they return. */
const ALLOWED: [string, string, (out: string) => void][] = [
  ['tapflow.* qualified', 'SELECT count() FROM tapflow.pours', (o) => expect(o).toBe('0\n')],
  ['tapflow.* unqualified', 'SELECT count() FROM pours', (o) => expect(o).toBe('0\n')],
  ['the view the dashboard leak broke', 'SELECT count() FROM tapflow.gaps_current', (o) => expect(o).toBe('0\n')],
  ['system tables', "SELECT name FROM system.tables WHERE database = 'tapflow' AND name = 'pours'", (o) => expect(o).toBe('pours\n')],
  ['system.processes', 'SELECT count() > 0 FROM system.processes', (o) => expect(o).toBe('1\n')],
  ['bounded numbers()', 'SELECT sum(number) FROM numbers(1000)', (o) => expect(o).toBe('499500\n')],
  ['view() over tapflow', 'SELECT count() FROM view(SELECT * FROM tapflow.pours)', (o) => expect(o).toBe('0\n')],
  ['CTE and comments', '/* c */ WITH x AS (SELECT 1 AS a) SELECT a FROM x -- c', (o) => expect(o).toBe('1\n')],
  ['SHOW TABLES', 'SHOW TABLES FROM tapflow', (o) => expect(o.split('\n')).toContain('pours')],
  ['DESCRIBE', 'DESCRIBE TABLE tapflow.pours', (o) => expect(o).toMatch(/^device_id\t/m)],
  ['EXISTS', 'EXISTS TABLE tapflow.pours', (o) => expect(o).toBe('1\n')],
  ['EXPLAIN', 'EXPLAIN SELECT device_id FROM tapflow.pours', (o) => expect(o).toMatch(/^Output: device_id$/m)],
  ['a FORMAT clause', 'SELECT 1 AS a FORMAT JSONEachRow', (o) => expect(o).toBe('{"a":1}\n')],
]

beforeAll(async () => {
  stack = await startGatewayStack({ dataDir: dir, host: '127.0.0.1', mqttPort: 0, webPort: 0, sqlPort: 0, sqlLimits: LIMITS, logger: silentLogger })
  sqlUrl = stack.sqlUrl!
  key = readFileSync(fleetKeyPath(dir), 'utf8').trim()
})

afterAll(async () => {
  await stack?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('the SQL port', () => {
  it.each(DENIED)('refuses %s', async (_name, sql, code) => {
    const r = await post(sql())
    expect(r.code, r.body).toBe(code)
    expect(r.status).toBe(code === SYNTAX ? 400 : 403)
    expect(r.body).toMatch(new RegExp(`^Code: ${code}\\.`))
    expect(r.body).not.toContain(key)
    expect(existsSync(outFile)).toBe(false)
  })

  it.each(ALLOWED)('reads %s', async (_name, sql, check) => {
    const r = await post(sql)
    expect(r.status, r.body).toBe(200)
    check(r.body)
  })

  it('binds query parameters and refuses settings in the URL', async () => {
    expect((await post('SELECT {n:UInt32} + 1', '?param_n=41')).body).toBe('42\n')
    // Values arrive escaped, as ClickHouse clients send them (it\'s), and are bound as the text they stand for.
    expect((await post('SELECT {s:String}', `?default_format=TSVRaw&param_s=${encodeURIComponent("it\\'s")}`)).body).toBe("it's\n")
    // A table name bound as a parameter is checked as bound.
    expect((await post('SELECT count() FROM {t:Identifier}', '?param_t=pours')).body).toBe('0\n')
    expect((await post('SELECT * FROM {t:Identifier}', '?param_t=default.x')).code).toBe(ACCESS_DENIED)
    const r = await post('SELECT 1', '?max_execution_time=100000')
    expect([r.status, r.code]).toEqual([403, READONLY])
    expect((await post('SELECT 1', '?readonly=0')).code).toBe(READONLY)
  })

  it('a sticky SET cannot break the dashboard, and the dashboard settings do not leak into the port', async () => {
    expect((await post("SET max_result_rows=1, result_overflow_mode='throw'")).code).toBe(READONLY)
    const venues = await fetch(`${stack!.webUrl}/api/venues`)
    expect(venues.status).toBe(200)
    // The dashboard runs with prefer_column_name_to_alias=1 (and more) on its session; the port must not inherit it.
    expect((await fetch(`${stack!.webUrl}/api/overview`)).status).toBe(200)
    const r = await post('SELECT count() FROM tapflow.gaps_current')
    expect([r.status, r.body]).toEqual([200, '0\n'])
  })

  it('cuts a long query at the time limit', async () => {
    const t0 = Date.now()
    const r = await post('SELECT count() FROM numbers(2e12)')
    expect(r.code, r.body).toBe(159)
    expect(Date.now() - t0).toBeLessThan(LIMITS.maxSeconds * 1000 * 2)
  })

  it('stops a query over the memory limit', async () => {
    const r = await post("SELECT length(groupArray(repeat(toString(number), 1000))) FROM numbers(1000000)")
    expect(r.code, r.body).toBe(241)
  })

  it('refuses results over the row and byte limits', async () => {
    expect((await post('SELECT number FROM numbers(100000)')).code).toBe(396)
    // 500 rows of 10 kB: under the row limit, and ClickHouse counts a constant column as one value, so only
    // the bytes actually sent (5 MB) stop it.
    const big = await fetch(sqlUrl, { method: 'POST', body: "SELECT repeat('x', 10000) FROM numbers(500)" })
    const text = await big.text().catch((err: unknown) => String(err))
    expect(text.length).toBeLessThanOrEqual(LIMITS.maxResultBytes + 200)
    expect(big.status === 200 ? text : big.headers.get('x-clickhouse-exception-code')).toMatch(/396/)
    // A 1 GB result is refused without being gathered (it took the gateway from 445 MB to 5 GB RSS before).
    const rss = process.memoryUsage().rss
    const gb = await post("SELECT repeat('x', 1000) FROM numbers(1000000)")
    expect(gb.code).toBe(396)
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 * 1024 * 1024)
  })

  it('caps concurrent queries with code 202, and a client that goes away frees its slot at once', async () => {
    const clients = [new AbortController(), new AbortController()]
    const running = clients.map((c) => fetch(sqlUrl, { method: 'POST', body: 'SELECT count() FROM numbers(2e12)', signal: c.signal }).catch(() => undefined))
    // Both slots busy: the next query is refused, as ClickHouse refuses past max_concurrent_queries.
    await expect.poll(async () => (await post('SELECT 1')).status, { timeout: 5_000, interval: 50 }).toBe(429)
    expect((await post('SELECT 1')).code).toBe(202)
    const t0 = Date.now()
    for (const c of clients) c.abort()
    await Promise.all(running)
    // The killed queries release their slots well before their time limit would have.
    await expect.poll(async () => (await post('SELECT 1')).body, { timeout: 2_000, interval: 50 }).toBe('1\n')
    expect(Date.now() - t0).toBeLessThan(2_000)
  })

  it('tapflow sql goes through the running stack\'s port and its guard', async () => {
    const ok = await tapflow('sql', '--data-dir', dir, '--format', 'TSV', 'SELECT count() FROM tapflow.pours')
    expect([ok.status, ok.stdout], ok.stderr).toEqual([0, '0\n'])
    const denied = await tapflow('sql', '--data-dir', dir, `SELECT * FROM file('${fleetKeyPath(dir)}', 'LineAsString')`)
    expect(denied.status).toBe(1)
    expect(denied.stderr).toContain(`Code: ${ACCESS_DENIED}.`)
    expect(denied.stderr + denied.stdout).not.toContain(key)
  })
})

describe('offline tapflow sql --data-dir', () => {
  let sql: ReadOnlySql | undefined
  beforeAll(async () => {
    // Stopping the stack frees the directory; tapflow sql then opens it itself, exactly like this.
    await stack?.close()
    stack = undefined
    sql = await ReadOnlySql.open({ path: join(dir, 'clickhouse'), limits: { ...LIMITS, maxConcurrent: 1 } })
  })
  afterAll(async () => {
    await sql?.close()
  })

  it.each(DENIED)('refuses %s', async (_name, text, code) => {
    let out = ''
    const err = await sql!.run(text(), { onChunk: (c) => void (out += c.toString()) }).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(TapflowClickHouseError)
    expect((err as TapflowClickHouseError).clickhouseCode, String(err)).toBe(code)
    expect(out + String(err)).not.toContain(key)
    expect(existsSync(outFile)).toBe(false)
  })

  // The CLI itself, for a few cases: each run loads the engine, and one process at a time may hold the directory.
  const cli = DENIED.filter(([name]) => /^(file\(\) read|INSERT INTO FUNCTION file|KILL|a second statement$)/.test(name))

  it('runs the CLI on the cases it should', () => {
    expect(cli).toHaveLength(4)
  })

  it.each(cli)('tapflow sql refuses %s', async (_name, text, code) => {
    await sql?.close()
    sql = undefined
    const r = await tapflow('sql', '--data-dir', dir, '--format', 'TSV', text())
    expect(r.status, r.stderr).toBe(1)
    expect(r.stderr).toContain(`Code: ${code}.`)
    expect(r.stderr + r.stdout).not.toContain(key)
    expect(existsSync(outFile)).toBe(false)
  })

  it('tapflow sql reads tapflow.* and system.*', async () => {
    const r = await tapflow('sql', '--data-dir', dir, '--format', 'TSV', "SELECT count() FROM tapflow.pours UNION ALL SELECT count() FROM system.tables WHERE name = 'pours'")
    expect([r.status, r.stdout.split('\n').sort().join(',')], r.stderr).toEqual([0, ',0,1'])
  })

  it('tapflow sql applies the limits', async () => {
    const r = await tapflow('sql', '--data-dir', dir, '--sql-max-seconds', '1', '--sql-max-result-rows', '10', "SELECT number FROM numbers(100000) UNION ALL SELECT count() FROM numbers(2e12)")
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/Code: (159|396)\./)
    const slow = await tapflow('sql', '--data-dir', dir, '--sql-max-seconds', '1', 'SELECT count() FROM numbers(2e12)')
    expect(slow.stderr).toContain('Code: 159.')
  })
})
