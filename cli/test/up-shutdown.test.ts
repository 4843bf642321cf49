import { spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../common/index.js'
import type { DeviceSpec, DeviceTransport, Frame } from '../../firmware-sim/index.js'
import { freePort } from '../../test/peers/index.js'
import { until } from '../../test/utils/index.js'
import { publishAsConnected } from '../company.js'

/**
 * Ctrl-C on `tapflow up` with the business running: the stack drains, flushes and exits 0. The embedded
 * PostgreSQL package installs exit hooks that used to stop PostgreSQL and exit 130 mid-shutdown, before the
 * gateway's flush (and chDB once crashed, torn down mid-query).
 */
describe('tapflow up, Ctrl-C with the business running', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tapflow-up-sigint-'))
  chmodSync(dataDir, 0o755) // as root, embedded PostgreSQL runs as the postgres user and must reach its directory
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('flushes every acknowledged frame and exits 0', async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()])
    const [mqtt, web, sql, grpc] = ports.map(String) as [string, string, string, string]
    // Run from the data dir: the lake (<data-dir>/lake) must be under the working directory, and Ctrl-C closes it too.
    const child = spawn(process.execPath, [
      join(import.meta.dirname, '../bin/tapflow.js'), 'up', '--devices', '100', '--history-days', '2', '--opcua-chillers', '0', '--data-dir', dataDir,
      '--mqtt-port', mqtt, '--web-port', web, '--sql-port', sql, '--grpc-port', grpc, '--features-port', '0', '--site-port', '0',
    ], { cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    // Frames are landing: the fleet, the gateway and the business are all up.
    const landing = async (): Promise<boolean> => {
      const r = await fetch(`http://127.0.0.1:${web}/status`).catch(() => undefined)
      return r?.ok === true && ((await r.json()) as { framesIn?: number }).framesIn! > 0
    }
    await until(landing, 'frames to land', 90_000, 500)
    child.kill('SIGINT')
    expect(await exit, out.slice(-3000)).toBe(0)
    expect(out).toContain('every acknowledged frame is in ClickHouse')
  })
})

describe('tapflow up, the fleet starts before every session is up', () => {
  /** A transport whose connects finish when the test says so. */
  function slowTransport(): { inner: DeviceTransport; connects: { ids: string[]; done: (err?: Error) => void }[]; sent: string[] } {
    const connects: { ids: string[]; done: (err?: Error) => void }[] = []
    const sent: string[] = []
    const up = new Set<string>()
    const inner: DeviceTransport = {
      connect: (devices) => new Promise<void>((resolve, reject) => {
        connects.push({ ids: devices.map((d) => d.deviceId), done: (err) => {
          if (err) return reject(err)
          for (const d of devices) up.add(d.deviceId)
          resolve()
        } })
      }),
      publish: (f) => {
        if (!up.has(f.deviceId)) throw new Error(`no session for ${f.deviceId}`)
        sent.push(`${f.deviceId}#${f.seq}`)
      },
      backpressure: () => undefined,
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
      stats: { sent: 0, acked: 0, failed: 0 },
    }
    return { inner, connects, sent }
  }
  const devices = Array.from({ length: 600 }, (_, i) => ({ deviceId: `tap-${String(i).padStart(4, '0')}-01` }) as DeviceSpec)
  const frame = (deviceId: string, seq: number): Frame => ({ kind: 'pour', deviceId, seq, tsMs: seq, topic: 't', payload: new Uint8Array() })

  it('starts on the first 250 sessions and sends the others\' frames, in order, once theirs are up', async () => {
    const { inner, connects, sent } = slowTransport()
    const t = publishAsConnected(inner, silentLogger)
    const started = t.connect(devices)
    await until(() => connects.length === 1, 'first connect', 10_000, 5)
    expect(connects[0]?.ids).toHaveLength(250)
    connects[0]?.done()
    await started
    // Connected: straight through. Still connecting: held.
    t.publish(frame('tap-0000-01', 1))
    t.publish(frame('tap-0300-01', 1))
    t.publish(frame('tap-0300-01', 2))
    expect(sent).toEqual(['tap-0000-01#1'])
    await until(() => connects.length === 2, 'second connect', 10_000, 5)
    expect(connects[1]?.ids).toEqual(devices.slice(250, 500).map((d) => d.deviceId))
    connects[1]?.done()
    await until(() => connects.length === 3, 'third connect', 10_000, 5)
    expect(sent).toEqual(['tap-0000-01#1', 'tap-0300-01#1', 'tap-0300-01#2'])
    t.publish(frame('tap-0300-01', 3))
    t.publish(frame('tap-0550-01', 1))
    expect(sent.at(-1)).toBe('tap-0300-01#3')
    // flush waits for the last sessions, so their held frames are sent before it returns.
    let flushed = false
    const flushing = t.flush().then(() => (flushed = true))
    await new Promise((r) => setTimeout(r, 20))
    expect(flushed).toBe(false)
    connects[2]?.done()
    await flushing
    expect(sent.at(-1)).toBe('tap-0550-01#1')
    // Later connects (installs) are awaited in full, as before.
    const install = t.connect([{ deviceId: 'tap-9999-01' } as DeviceSpec])
    await until(() => connects.length === 4, 'install connect', 10_000, 5)
    connects[3]?.done()
    await install
  })

  it('connects the taps with the highest priority first (those due to pour soonest)', async () => {
    const { inner, connects } = slowTransport()
    const t = publishAsConnected(inner, silentLogger, (d) => (d.deviceId >= 'tap-0350' ? 1 : 0))
    const started = t.connect(devices)
    await until(() => connects.length === 1, 'first connect', 10_000, 5)
    expect(connects[0]?.ids).toEqual(devices.slice(350, 600).map((d) => d.deviceId))
    connects[0]?.done()
    await started
    const closing = t.close()
    await until(() => connects.length === 2, 'second connect', 10_000, 5)
    connects[1]?.done()
    await closing
  })

  it('stops connecting when closed: the chunk under way finishes, the rest never connect', async () => {
    const { inner, connects, sent } = slowTransport()
    const t = publishAsConnected(inner, silentLogger)
    const started = t.connect(devices)
    await until(() => connects.length === 1, 'first connect', 10_000, 5)
    connects[0]?.done()
    await started
    t.publish(frame('tap-0300-01', 1))
    await until(() => connects.length === 2, 'second connect', 10_000, 5)
    const closing = t.close()
    connects[1]?.done()
    await closing
    expect(connects).toHaveLength(2)
    expect(sent).toEqual(['tap-0300-01#1'])
  })

  it('fails the fleet when a later session cannot connect, as a failed connect before the start did', async () => {
    const { inner, connects } = slowTransport()
    const t = publishAsConnected(inner, silentLogger)
    const started = t.connect(devices)
    await until(() => connects.length === 1, 'first connect', 10_000, 5)
    connects[0]?.done()
    await started
    await until(() => connects.length === 2, 'second connect', 10_000, 5)
    connects[1]?.done(new Error('not authorized'))
    await new Promise((r) => setTimeout(r, 10))
    expect(() => t.publish(frame('tap-0000-01', 1))).toThrow('not authorized')
  })
})
