import { type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { afterAll, describe, expect, it } from 'vitest'
import { FleetAuthority } from '../../edge-gateway/index.js'
import { freePort, waitForPort } from '../peers/index.js'
import { exited, expectExactlyOnceAfterCleanStop, landed, spawnGateway, startPublishers, waitFor } from './faults-support.js'

describe('fault: gateway SIGKILLed mid-run, then restarted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapflow-fault-kill-'))
  const children: ChildProcess[] = []
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('loses no acknowledged frame and writes none twice', async () => {
    const [mqttPort, webPort, sqlPort] = [await freePort(), await freePort(), await freePort()]
    const args = ['--data-dir', dir, '--mqtt-port', String(mqttPort), '--web-port', String(webPort), '--sql-port', String(sqlPort)]
    const first = spawnGateway(args)
    children.push(first.child)
    await waitForPort(mqttPort, 60_000).catch((err: unknown) => {
      throw new Error(`gateway did not start: ${String(err)}\n${first.output()}`)
    })
    const devices = 30
    const frames = 300
    // Secure by default: each device connects with the credentials derived from the gateway's fleet key.
    const authority = FleetAuthority.fromFile(join(dir, 'security', 'fleet.key'), { create: false })
    const pubs = startPublishers({
      url: `mqtt://127.0.0.1:${mqttPort}`, devices, frames, window: 3, paceMs: 10,
      credentials: (id) => authority.device(`ven-${id.slice(-7, -3)}`, id),
    })
    let sql: ClickHouseClient | undefined
    try {
      await waitFor(() => pubs.acked() > devices * frames * 0.3, 60_000, 'a third of the frames to be acknowledged')
      first.child.kill('SIGKILL')
      await exited(first.child)
      const ackedAtKill = pubs.acked()
      // The WAL holds what was acknowledged but not yet inserted at the moment of the kill.
      expect(readdirSync(join(dir, 'wal')).some((f) => f.endsWith('.wal')), readdirSync(dir).join(',') + first.output()).toBe(true)
      const second = spawnGateway(args)
      children.push(second.child)
      await waitForPort(mqttPort, 60_000).catch((err: unknown) => {
        throw new Error(`gateway did not restart: ${String(err)}\n${second.output()}`)
      })
      await waitForPort(sqlPort, 60_000)
      await pubs.done
      expect(pubs.acked()).toBe(devices * frames)
      expect(ackedAtKill).toBeLessThan(devices * frames)
      sql = createClient({ url: `http://127.0.0.1:${sqlPort}` })
      const client = sql
      let total = 0
      await waitFor(async () => (total = [...(await landed(client)).values()].reduce((s, r) => s + r.n, 0)) >= devices * frames, 30_000, 'every frame to land')
        .catch(async (err: unknown) => {
          const detail = await client.query({ query: 'SELECT * FROM tapflow.gaps_current ORDER BY device_id LIMIT 5', format: 'JSONEachRow' }).then((r) => r.text())
          const status = await fetch(`http://127.0.0.1:${webPort}/status`).then((r) => r.text())
          throw new Error(`${String(err)}: ${total} of ${devices * frames} landed\n${detail}\n${status}\n${second.output().slice(0, 2000)}`)
        })
      // A clean stop is the final flush: after it nothing can land, so a late duplicate would show in the counts.
      await expectExactlyOnceAfterCleanStop(second, dir, pubs.deviceIds, frames)
    } finally {
      await sql?.close()
      await pubs.close()
    }
  })
})
