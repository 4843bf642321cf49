import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, waitForPort } from '../peers/index.js'
import { exited, spawnGateway, waitFor } from './faults-support.js'

/**
 * `tapflow up --speed max` lands every frame (its gateway shares the simulated clock). A separate
 * `tapflow sim --speed max` against a separate `tapflow gateway` must too: the simulator replays the past and
 * never runs ahead of the real clock, so the gateway, which judges frames against its own clock as it must for
 * real devices, has nothing to dead-letter as `future_timestamp`.
 */
describe('tapflow sim --speed max against a separate tapflow gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapflow-sim-gw-'))
  const children: ChildProcess[] = []
  let sql: ClickHouseClient | undefined
  afterAll(async () => {
    await sql?.close()
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('lands every frame, like tapflow up does, and dead-letters none', async () => {
    const [mqttPort, webPort, sqlPort] = [await freePort(), await freePort(), await freePort()]
    const gw = spawnGateway(['--data-dir', dir, '--mqtt-port', String(mqttPort), '--web-port', String(webPort), '--sql-port', String(sqlPort)])
    children.push(gw.child)
    await waitForPort(sqlPort, 60_000).catch((err: unknown) => {
      throw new Error(`gateway did not start: ${String(err)}\n${gw.output()}`)
    })
    const result = join(dir, 'sim.json')
    const sim = spawn(process.execPath, ['cli/bin/tapflow.js', 'sim', '--broker', `mqtt://127.0.0.1:${mqttPort}`, '--fleet-key', join(dir, 'security', 'fleet.key'),
      '--devices', '20', '--speed', 'max', '--max-frames', '3000', '--result', result], { cwd: join(import.meta.dirname, '../..'), env: { ...process.env, LOG_LEVEL: 'warn' }, stdio: 'inherit' })
    children.push(sim)
    await exited(sim)
    expect(sim.exitCode).toBe(0)
    const published = (JSON.parse(readFileSync(result, 'utf8')) as { stats: { acked: number } }).stats.acked
    expect(published).toBe(3000)
    sql = createClient({ url: `http://127.0.0.1:${sqlPort}` })
    const client = sql
    const count = async (query: string): Promise<number> => Number((await (await client.query({ query, format: 'JSONEachRow' })).json<{ c: string }>())[0]!.c)
    const telemetry = 'SELECT (SELECT count() FROM tapflow.pours) + (SELECT count() FROM tapflow.temperatures) + (SELECT count() FROM tapflow.health) AS c'
    const dead = 'SELECT count() AS c FROM tapflow.dead_letters'
    // Every published frame is either a row or a dead letter once the gateway has taken it.
    await waitFor(async () => (await count(telemetry)) + (await count(dead)) >= published, 60_000, 'every published frame to land or be dead-lettered')
    expect(await count(dead)).toBe(0)
    expect(await count(telemetry)).toBe(published)
    gw.child.kill('SIGTERM')
    await exited(gw.child)
  })
})
