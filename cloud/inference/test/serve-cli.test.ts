import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FleetAuthority } from '../../../edge-gateway/index.js'
import { LmdbOnlineStore } from '../../features/index.js'
import { InferenceClient } from '../index.js'
import { registryFixture, type RegistryFixture } from './fixtures.js'

const BIN = join(import.meta.dirname, '../../../cli/bin/tapflow.js')
const dataDir = mkdtempSync(join(tmpdir(), 'tapflow-serve-cli-'))
let fx: RegistryFixture | undefined
let child: ChildProcess | undefined
let client: InferenceClient | undefined

const run = async (...args: string[]): Promise<{ code: number; stderr: string }> => {
  try {
    const { stderr } = await promisify(execFile)(process.execPath, [BIN, 'serve', ...args])
    return { code: 0, stderr }
  } catch (err) {
    const e = err as { code: number; stderr: string }
    return { code: e.code, stderr: e.stderr }
  }
}

beforeAll(async () => {
  fx = await registryFixture('serve_cli')
  if (fx === undefined) return
  await fx.train(1)
  FleetAuthority.fromFile(join(dataDir, 'security', 'fleet.key'))
  // Materialized at an instant in the past: `serve` judges freshness against the last materialization.
  const T = Date.UTC(2026, 0, 5)
  const online = new LmdbOnlineStore({ path: join(dataDir, 'online') })
  await online.write('device', [['tap-1', {
    eventTs: { device_temperatures: T - 60_000, device_pours: T - 60_000, device_health: T - 60_000 },
    values: { line_temp_slope_24h: 2, flow_rate_drift_24h: 1, pour_count_1h: 4, rssi_dbm: -60 }, materializedAt: T,
  }]])
  await online.close()
}, 120_000)

afterAll(async () => {
  client?.close()
  if (child?.exitCode === null) child.kill('SIGKILL')
  await fx?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('tapflow serve (CLI)', () => {
  it('says what is wrong in one line and exits 2', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tapflow-serve-empty-'))
    try {
      for (const [args, msg] of [
        [['--port', 'abc'], /'--port <port>' argument 'abc' is invalid/],
        [['--data-dir', empty], /no model registry in .*train a model first/],
        [['--data-dir', empty, '--features-url', '127.0.0.1:1', '--online-store', 'x'], /cannot be used with option '--features-url/],
      ] as const) {
        const r = await run(...args)
        expect(r.code).toBe(2)
        expect(r.stderr).toMatch(msg)
      }
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
    expect((await promisify(execFile)(process.execPath, [BIN, 'serve', '--help'])).stdout).toMatch(/--database-url <url>/)
  }, 180_000)

  it('serves the registry\'s champion with online features, and stops on SIGTERM', async (ctx) => {
    if (fx === undefined) return ctx.skip()
    child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dataDir, '--database-url', fx.url, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()))
    await expect.poll(() => /grpc:\/\/(127\.0\.0\.1:\d+)/.exec(stderr)?.[1], { timeout: 60_000 }).toBeDefined()
    const address = /grpc:\/\/(127\.0\.0\.1:\d+)/.exec(stderr)![1]!
    expect(stderr).toMatch(/lmdb:.*online \(freshness as of the last materialization\)/)
    client = new InferenceClient({ address, credentials: FleetAuthority.fromFile(join(dataDir, 'security', 'fleet.key')).control('test.serve') })
    const res = await client.predict({ entityIds: ['tap-1'] })
    expect(res).toMatchObject({ model: 'maintenance', version: 1 })
    expect(res.predictions[0]!.scores.map((s) => s.mode)).toEqual(['cooling', 'seal_leak'])
    await expect(client.predict({ entityIds: ['tap-2'] })).rejects.toMatchObject({ grpcCode: 5 })
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  }, 120_000)
})
