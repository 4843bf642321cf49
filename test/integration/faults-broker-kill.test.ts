import { type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, mosquittoBinary, requirePeers, startMosquitto, waitForPort, type MosquittoPeer } from '../peers/index.js'
import { exited, expectExactlyOnceAfterCleanStop, landed, spawnGateway, startPublishers, waitFor } from './faults-support.js'

/**
 * The external-broker version of faults-gateway-kill: `tapflow gateway --broker` on a real Mosquitto is
 * SIGKILLed while it drains a backlog at full speed, then restarted. The broker is not restarted, so its
 * persistent session for the gateway holds both the queued frames and those delivered but not acknowledged.
 * docs/GUARANTEES.md §7: a PUBACK leaves only once the frame is durable, so landed = published.
 */
describe.skipIf(mosquittoBinary() === undefined && !requirePeers)('fault: gateway behind Mosquitto SIGKILLed mid-run, then restarted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapflow-fault-broker-kill-'))
  const children: ChildProcess[] = []
  let broker: MosquittoPeer | undefined
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await broker?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('lands every published frame exactly once: landed = published', async () => {
    // Unbounded queue so the broker itself drops nothing while the gateway is down (its default drops past 1000).
    broker = await startMosquitto({ config: ['max_queued_messages 0'] })
    const [webPort, sqlPort] = [await freePort(), await freePort()]
    const args = ['--broker', broker.url, '--data-dir', dir, '--web-port', String(webPort), '--sql-port', String(sqlPort)]
    const devices = 60
    const frames = 500
    const total = devices * frames
    const first = spawnGateway(args)
    children.push(first.child)
    // The SQL port opens once the gateway has subscribed, so the broker keeps every frame from here on.
    await waitForPort(sqlPort, 60_000).catch((err: unknown) => {
      throw new Error(`gateway did not start: ${String(err)}\n${first.output()}`)
    })
    // Unpaced: thousands of frames are between the broker and the WAL when the kill lands.
    const pubs = startPublishers({ url: broker.url, devices, frames, window: 5, prefix: 'tap-k' })
    let sql: ClickHouseClient | undefined
    try {
      sql = createClient({ url: `http://127.0.0.1:${sqlPort}` })
      const firstSql = sql
      const count = async (c: ClickHouseClient): Promise<number> => [...(await landed(c)).values()].reduce((s, r) => s + r.n, 0)
      await waitFor(async () => (await count(firstSql)) >= total * 0.2, 60_000, 'a fifth of the frames to land')
      first.child.kill('SIGKILL')
      await exited(first.child)
      await sql.close()
      const second = spawnGateway(args)
      children.push(second.child)
      await waitForPort(sqlPort, 60_000).catch((err: unknown) => {
        throw new Error(`gateway did not restart: ${String(err)}\n${second.output()}`)
      })
      await pubs.done
      expect(pubs.acked()).toBe(total)
      sql = createClient({ url: `http://127.0.0.1:${sqlPort}` })
      const client = sql
      let n = 0
      await waitFor(async () => (n = await count(client)) >= total, 60_000, 'every frame to land').catch(async (err: unknown) => {
        const gaps = await client.query({ query: 'SELECT * FROM tapflow.gaps_current ORDER BY device_id LIMIT 5', format: 'JSONEachRow' }).then((r) => r.text())
        throw new Error(`${String(err)}: ${n} of ${total} landed\n${gaps}\n${second.output().slice(0, 2000)}`)
      })
      // A clean stop is the final flush: after it nothing can land, so a late duplicate would show in the counts.
      const final = await expectExactlyOnceAfterCleanStop(second, dir, pubs.deviceIds, frames)
      expect(final.deadLetters).toBe(0)
    } finally {
      await sql?.close()
      await pubs.close()
    }
  })
})
