import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Logger } from '../../common/index.js'
import { EmbeddedBroker, FleetAuthority, RateLimitedLog, RevocationList, type FrameHandler } from '../index.js'

const VEN = 'ven-0001'
const DEV = 'tap-0001-01'
const authority = new FleetAuthority(randomBytes(32))

/** A logger that keeps its lines, to count what an attacker can make the gateway print. */
function capture(): { lines: () => { msg: string; [k: string]: unknown }[]; logger: Logger } {
  const out: string[] = []
  return { lines: () => out.map((l) => JSON.parse(l) as { msg: string }), logger: pino({ level: 'warn' }, { write: (s: string) => void out.push(s) }) }
}

async function counter(broker: EmbeddedBroker, name: string): Promise<Record<string, number>> {
  const m = await broker.metrics.registry.getSingleMetric(name)!.get()
  return Object.fromEntries(m.values.map((v) => [Object.values(v.labels).join(',') || 'total', v.value]))
}

describe('broker security counters and rate-limited log', () => {
  let dir: string
  let broker: EmbeddedBroker | undefined
  const clients: MqttClient[] = []
  const handler: FrameHandler = (_t, _p, ack) => ack()
  let now = Date.UTC(2026, 10, 30)
  const clock = { now: () => now }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tapflow-sec-'))
  })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)))
    await broker?.close()
    broker = undefined
    rmSync(dir, { recursive: true, force: true })
  })

  const start = async (logger = capture().logger): Promise<string> => {
    broker = new EmbeddedBroker({ port: 0, authority, clock, logger, revocations: new RevocationList(join(dir, 'revoked.json')) })
    await broker.start(handler)
    return broker.url
  }
  const connect = async (url: string, o: IClientOptions): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...o })
    clients.push(c)
    return c
  }
  const refusal = (url: string, o: IClientOptions): Promise<number | undefined> =>
    mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...o }).then(async (c) => {
      await c.endAsync(true)
      return undefined
    }, (err: { code?: number }) => err.code)

  it('counts 2,000 bad-password connects exactly and logs a handful of lines plus one summary', async () => {
    const log = capture()
    const url = await start(log.logger)
    const codes: (number | undefined)[] = []
    for (let i = 0; i < 2_000; i += 100) {
      codes.push(...await Promise.all(Array.from({ length: 100 }, (_, j) => refusal(url, { clientId: DEV, username: `${VEN}/${DEV}`, password: `guess-${i + j}` }))))
    }
    expect(codes.every((c) => c === 4)).toBe(true)
    expect(await counter(broker!, 'tapflow_broker_connects_refused_total')).toEqual({ bad_credentials: 2_000 })
    expect(log.lines()).toHaveLength(5)
    // The next window opens with a summary of what the last one only counted.
    now += 10_000
    expect(await refusal(url, { clientId: 'x', username: 'nobody', password: 'x' })).toBe(4)
    const lines = log.lines()
    expect(lines).toHaveLength(7)
    expect(lines[5]).toMatchObject({ total: 1_995, suppressed: { 'refused:bad_credentials': 1_995 } })
    expect(lines[6]).toMatchObject({ event: 'refused:unknown_identity' })
    expect(await counter(broker!, 'tapflow_broker_connects_refused_total')).toEqual({ bad_credentials: 2_000, unknown_identity: 1 })
  })

  it('counts refusals by reason and ACL denials by action', async () => {
    const url = await start()
    expect(await refusal(url, { clientId: DEV })).toBe(5)
    expect(await refusal(url, { clientId: 'tap-0009-01', ...authority.device(VEN, DEV) })).toBe(4)
    expect(await refusal(url, { clientId: DEV, username: `ven-0002/${DEV}`, password: authority.device(VEN, DEV).password })).toBe(4)
    const dev = await connect(url, { clientId: DEV, ...authority.device(VEN, DEV) })
    await expect(dev.subscribeAsync('tapflow/v1/#', { qos: 1 })).rejects.toThrow(/Subscribe error/)
    const closed = new Promise<void>((r) => dev.once('close', () => r()))
    dev.publish(`tapflow/v1/${VEN}/tap-0002-01/temp`, Buffer.from([1]), { qos: 1 })
    await closed
    expect(await counter(broker!, 'tapflow_broker_connects_refused_total')).toEqual({ anonymous: 1, client_id_mismatch: 1, bad_credentials: 1 })
    expect(await counter(broker!, 'tapflow_broker_acl_denied_total')).toEqual({ subscribe: 1, publish: 1 })
  })

  it('counts a client-id takeover: a second client with the device\'s id kicks the first', async () => {
    const url = await start()
    const first = await connect(url, { clientId: DEV, ...authority.device(VEN, DEV) })
    const kicked = new Promise<void>((r) => first.once('close', () => r()))
    await connect(url, { clientId: DEV, ...authority.device(VEN, DEV) })
    await kicked
    expect(await counter(broker!, 'tapflow_broker_client_takeovers_total')).toEqual({ total: 1 })
    expect(broker!.security.takeovers).toBe(1)
  })

  it('refuses a revoked device at connect, closes its open session, and lets it back after unrevoke', async () => {
    const url = await start()
    const list = new RevocationList(join(dir, 'revoked.json'))
    const dev = await connect(url, { clientId: DEV, ...authority.device(VEN, DEV) })
    const other = await connect(url, { clientId: 'tap-0001-02', ...authority.device(VEN, 'tap-0001-02') })
    const kicked = new Promise<void>((r) => dev.once('close', () => r()))
    expect(list.revoke(`${VEN}/${DEV}`, new Date(now), 'leaked on a forum')).toBe(true)
    await kicked
    expect(other.connected).toBe(true)
    expect(await counter(broker!, 'tapflow_broker_revoked_disconnects_total')).toEqual({ total: 1 })
    expect(await refusal(url, { clientId: DEV, ...authority.device(VEN, DEV) })).toBe(5)
    expect(await counter(broker!, 'tapflow_broker_connects_refused_total')).toEqual({ revoked: 1 })
    expect(list.unrevoke(`${VEN}/${DEV}`)).toBe(true)
    await connect(url, { clientId: DEV, ...authority.device(VEN, DEV) })
  })

  it('is an AsyncDisposable', async () => {
    await using b = new EmbeddedBroker({ port: 0 })
    await b.listen()
    expect(b.port).toBeGreaterThan(0)
  })
})

describe('RateLimitedLog', () => {
  it('logs the burst, counts the rest, and summarises each window on the injected clock', () => {
    const log = capture()
    let t = 0
    const rl = new RateLimitedLog({ logger: log.logger, clock: { now: () => t }, intervalMs: 1_000, burst: 2 })
    for (let i = 0; i < 10; i++) rl.warn('refused:x', {}, 'refused')
    expect(log.lines()).toHaveLength(2)
    t = 999
    rl.warn('denied:publish', {}, 'denied')
    expect(log.lines()).toHaveLength(2)
    t = 1_000
    rl.warn('refused:x', {}, 'refused')
    expect(log.lines().map((l) => l.msg)).toEqual(['refused', 'refused', expect.stringMatching(/9 more events/), 'refused'])
    expect(log.lines()[2]).toMatchObject({ suppressed: { 'refused:x': 8, 'denied:publish': 1 } })
    rl.close()
  })
})

describe('RevocationList', () => {
  it('keeps the last good list when the file turns unreadable, and reports it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapflow-rev-'))
    try {
      const file = join(dir, 'revoked.json')
      const a = new RevocationList(file)
      expect(a.has('ven-0001/tap-0001-01')).toBe(false)
      a.revoke('ven-0001/tap-0001-01', new Date(0))
      const b = new RevocationList(file)
      expect(b.list()).toEqual([{ device: 'ven-0001/tap-0001-01', at: '1970-01-01T00:00:00.000Z' }])
      rmSync(file)
      // A missing file is an empty list; a broken one keeps the previous list in force.
      expect(b.has('ven-0001/tap-0001-01')).toBe(false)
      a.revoke('ven-0001/tap-0001-01', new Date(0))
      expect(b.has('ven-0001/tap-0001-01')).toBe(true)
      writeFileSync(file, '{"revoked": "all"}')
      const errors: unknown[] = []
      expect(b.has('ven-0001/tap-0001-01', (e) => errors.push(e))).toBe(true)
      expect(String(errors[0])).toMatch(/expected \{"revoked"/)
      expect(() => new RevocationList(file)).toThrow(/expected \{"revoked"/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
