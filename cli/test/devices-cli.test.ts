import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EmbeddedBroker, FleetAuthority, RevocationList } from '../../edge-gateway/index.js'
import { HealthFrame } from '../../proto/index.js'
import { requirePeers } from '../../test/peers/index.js'

const BIN = fileURLToPath(new URL('../bin/tapflow.js', import.meta.url))
const DEVICE = 'ven-0001/tap-0001-01'

function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    p.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
const tapflow = (...args: string[]): ReturnType<typeof run> => run('node', [BIN, ...args])

// mosquitto_pub is a real MQTT client none of our code is in (Debian mosquitto-clients, scripts/install-peers.sh).
const hasClients = spawnSync('mosquitto_pub', ['--help']).error === undefined
const suite = hasClients || requirePeers ? describe : describe.skip

suite('tapflow devices: provisioning a real device and revoking it', () => {
  let dir: string
  let broker: EmbeddedBroker
  const topics: string[] = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tapflow-devices-'))
    const authority = FleetAuthority.fromFile(join(dir, 'security', 'fleet.key'))
    broker = new EmbeddedBroker({ port: 0, authority, revocations: new RevocationList(join(dir, 'security', 'revoked.json')) })
    await broker.start((topic, _p, ack) => {
      topics.push(topic)
      ack()
    })
  })
  afterAll(async () => {
    await broker?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('prints credentials and a mosquitto_pub line that a real client can use; revoked, the same line is refused', async () => {
    const text = await tapflow('devices', 'credentials', DEVICE, '--data-dir', dir, '--port', String(broker.port))
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/^username {3}ven-0001\/tap-0001-01$/m)
    const line = text.stdout.split('\n').find((l) => l.startsWith('mosquitto_pub '))!
    expect(line).toContain(`-p ${broker.port} -i tap-0001-01 -u 'ven-0001/tap-0001-01' -P '`)

    // The printed line as a user would paste it: the retained status goes through, QoS 1 acknowledged.
    const status = await run('bash', ['-c', line])
    expect(status.stderr).toBe('')
    expect(status.code).toBe(0)
    // And a real telemetry frame from the same credentials lands in the gateway's handler.
    const creds = JSON.parse((await tapflow('devices', 'credentials', DEVICE, '--data-dir', dir, '--json')).stdout) as { username: string; password: string; clientId: string }
    const frame = join(dir, 'health.bin')
    writeFileSync(frame, HealthFrame.encode({ device_id: 'tap-0001-01', seq: 1, ts_ms: Date.now(), firmware_version: '1.4.2' }).finish())
    const pub = (file: string): ReturnType<typeof run> =>
      run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(broker.port), '-i', creds.clientId, '-u', creds.username, '-P', creds.password, '-q', '1', '-t', 'tapflow/v1/ven-0001/tap-0001-01/health', '-f', file])
    expect((await pub(frame)).code).toBe(0)
    expect(topics).toEqual(['tapflow/v1/ven-0001/tap-0001-01/health'])

    const revoke = await tapflow('devices', 'revoke', DEVICE, '--data-dir', dir, '--reason', 'leaked')
    expect(revoke.code).toBe(0)
    expect(revoke.stdout).toMatch(/^revoked ven-0001\/tap-0001-01 /)
    const refused = await run('bash', ['-c', line])
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/not authori[sz]ed/i)
    expect((await pub(frame)).code).not.toBe(0)
    expect(topics).toHaveLength(1)
    const m = await broker.metrics.connectsRefused.get()
    expect(m.values.find((v) => v.labels.reason === 'revoked')?.value).toBe(2)

    const ls = await tapflow('devices', 'ls-revoked', '--data-dir', dir)
    expect(ls.stdout).toMatch(/^ven-0001\/tap-0001-01 {2}\S+ {2}leaked$/m)
    expect((await tapflow('devices', 'unrevoke', DEVICE, '--data-dir', dir)).code).toBe(0)
    expect((await run('bash', ['-c', line])).code).toBe(0)
  })

  it('a revoked device that is connected is disconnected', async () => {
    const authority = FleetAuthority.fromFile(join(dir, 'security', 'fleet.key'), { create: false })
    const c = await mqtt.connectAsync(broker.url, { clientId: 'tap-0001-02', ...authority.device('ven-0001', 'tap-0001-02'), reconnectPeriod: 0 })
    const closed = new Promise<void>((r) => c.once('close', () => r()))
    expect((await tapflow('devices', 'revoke', 'ven-0001/tap-0001-02', '--data-dir', dir)).code).toBe(0)
    await closed
    await c.endAsync(true)
  })

  it('rejects a malformed device name with exit 2', async () => {
    const r = await tapflow('devices', 'credentials', 'tap-0001-01', '--data-dir', dir)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/expected <venue>\/<device>/)
  })
})
