import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EmbeddedBroker, FleetAuthority, devTls } from '../index.js'

describe('TLS listener with a generated dev CA', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tapflow-tls-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('generates the CA once, keeps keys private, and reuses it', async () => {
    const a = await devTls(join(dir, 'tls'))
    expect(a.ca).toMatch(/BEGIN CERTIFICATE/)
    expect(statSync(join(dir, 'tls', 'broker.key')).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir, 'tls', 'ca.key')).mode & 0o777).toBe(0o600)
    const b = await devTls(join(dir, 'tls'))
    expect(b.cert).toBe(a.cert)
    expect(readFileSync(b.caPath, 'utf8')).toBe(a.ca)
  })

  it('serves mqtts:// to clients that trust the CA, with the same credentials, and refuses the rest', async () => {
    const tls = await devTls(join(dir, 'tls'))
    const authority = new FleetAuthority(randomBytes(32))
    const topics: string[] = []
    const broker = new EmbeddedBroker({ port: 0, authority, tls: { port: 0, cert: tls.cert, key: tls.key } })
    await broker.start((topic, _p, ack) => {
      topics.push(topic)
      ack()
    })
    const url = `mqtts://127.0.0.1:${broker.tlsPort}`
    try {
      const creds = authority.device('ven-0001', 'tap-0001-01')
      const c = await mqtt.connectAsync(url, { clientId: 'tap-0001-01', ...creds, ca: tls.ca, reconnectPeriod: 0 })
      await c.publishAsync('tapflow/v1/ven-0001/tap-0001-01/temp', Buffer.from([1]), { qos: 1 })
      await c.endAsync()
      expect(topics).toEqual(['tapflow/v1/ven-0001/tap-0001-01/temp'])
      // Without the CA the certificate is not trusted; without credentials the broker refuses.
      await expect(mqtt.connectAsync(url, { clientId: 'tap-0001-01', ...creds, reconnectPeriod: 0, connectTimeout: 3_000 })).rejects.toThrow(/certificate/)
      await expect(mqtt.connectAsync(url, { clientId: 'tap-0001-01', ca: tls.ca, reconnectPeriod: 0, connectTimeout: 3_000 })).rejects.toThrow(/Not authorized|Bad User|not authorized/i)
    } finally {
      await broker.close()
    }
  })
})
