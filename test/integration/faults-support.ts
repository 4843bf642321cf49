import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { openClickHouse, type ClickHouseClient } from '../../edge-gateway/index.js'
import { TemperatureReading, topicFor } from '../../proto/index.js'

/**
 * Test publishers for the fault scenarios: N devices, each publishing temperature frames with seq 1..frames
 * at QoS 1, a few in flight at a time, reconnecting (and resending unacknowledged frames) when the broker
 * goes away. Plain mqtt.js, so what "published" means is exactly "PUBACK received".
 */
export interface PublisherOptions {
  url: string
  devices: number
  frames: number
  /** Frames in flight per device. Default: 5. */
  window?: number
  /** Pause between a device's frames, ms, so a run lasts long enough to fault it. Default: 0. */
  paceMs?: number
  credentials?: (deviceId: string) => { username: string; password: string }
  prefix?: string
  /** First seq each device publishes. Default: 1. */
  startSeq?: number
}

export interface Publishers {
  deviceIds: string[]
  venueOf(deviceId: string): string
  acked(): number
  /** Resolves when every device has every frame acknowledged. */
  done: Promise<void>
  close(): Promise<void>
}

export function startPublishers(o: PublisherOptions): Publishers {
  const window = o.window ?? 5
  const clients: MqttClient[] = []
  let acked = 0
  const ids = Array.from({ length: o.devices }, (_, i) => `${o.prefix ?? 'tap-f'}${String(i).padStart(4, '0')}-01`)
  const venueOf = (id: string): string => `ven-${id.slice(-7, -3)}`
  const one = async (id: string): Promise<void> => {
    const client = mqtt.connect(o.url, { clientId: id, clean: true, reconnectPeriod: 250, connectTimeout: 5_000, ...o.credentials?.(id) })
    clients.push(client)
    client.on('error', () => undefined)
    const topic = topicFor(venueOf(id), id, 'temp')
    const first = o.startSeq ?? 1
    let next = first
    const worker = async (): Promise<void> => {
      while (next < first + o.frames) {
        const seq = next++
        const payload = TemperatureReading.encode({
          device_id: id, seq, ts_ms: Date.now(), line_id: 1, line_temp_c: 3 + (seq % 10) / 10, keg_temp_c: 3, ambient_temp_c: 20,
        }).finish()
        await client.publishAsync(topic, Buffer.from(payload), { qos: 1 })
        acked++
        if (o.paceMs) await new Promise((r) => setTimeout(r, o.paceMs))
      }
    }
    await Promise.all(Array.from({ length: window }, worker))
  }
  const done = Promise.all(ids.map(one)).then(() => undefined)
  return {
    deviceIds: ids,
    venueOf,
    acked: () => acked,
    done,
    close: async () => {
      await Promise.all(clients.map((c) => c.endAsync(true)))
    },
  }
}

/** Per device: rows, distinct seqs, highest seq in tapflow.temperatures (FINAL-free: copies would show). */
export async function landed(client: ClickHouseClient): Promise<Map<string, { n: number; u: number; hi: number }>> {
  const rs = await client.query({
    query: 'SELECT device_id, count() AS n, uniqExact(seq) AS u, max(seq) AS hi FROM tapflow.temperatures GROUP BY device_id',
    format: 'JSONEachRow',
  })
  const rows = (await rs.json()) as { device_id: string; n: string; u: string; hi: string }[]
  return new Map(rows.map((r) => [r.device_id, { n: Number(r.n), u: Number(r.u), hi: Number(r.hi) }]))
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** `tapflow gateway` as a real child process, so it can be SIGKILLed. */
export function spawnGateway(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['cli/bin/tapflow.js', 'gateway', ...args], {
    cwd: join(import.meta.dirname, '../..'),
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)))
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)))
  return { child, output: () => out }
}

export const exited = (c: ChildProcess): Promise<unknown> => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r)))

/**
 * What a stopped gateway left in its embedded ClickHouse: per-device counts, gaps and dead letters. Read after
 * the gateway exited cleanly (its final flush), so nothing can land later: a late duplicate would be counted.
 * chDB holds one data directory per process, so call this at most once per test file.
 */
export async function finalCounts(dataDir: string): Promise<{ landed: Map<string, { n: number; u: number; hi: number }>; gaps: number; deadLetters: number }> {
  const ch = openClickHouse({ path: join(dataDir, 'clickhouse') })
  try {
    const one = async (query: string): Promise<number> => Number((await (await ch.client.query({ query, format: 'JSONEachRow' })).json<{ c: string }>())[0]!.c)
    return { landed: await landed(ch.client), gaps: await one('SELECT count() AS c FROM tapflow.gaps'), deadLetters: await one('SELECT count() AS c FROM tapflow.dead_letters') }
  } finally {
    await ch.client.close()
  }
}

/**
 * Stops a restarted gateway cleanly (its final flush), then asserts exactly once from what it left: every device
 * has `frames` rows, `frames` distinct seqs up to `frames`, and no gap. A late duplicate would be counted here.
 */
export async function expectExactlyOnceAfterCleanStop(
  gateway: { child: ChildProcess; output: () => string },
  dataDir: string,
  deviceIds: readonly string[],
  frames: number,
): Promise<{ gaps: number; deadLetters: number }> {
  gateway.child.kill('SIGTERM')
  await exited(gateway.child)
  if (gateway.child.exitCode !== 0) throw new Error(`gateway exited ${gateway.child.exitCode}:\n${gateway.output()}`)
  const final = await finalCounts(dataDir)
  if (final.landed.size !== deviceIds.length) throw new Error(`${final.landed.size} devices landed, expected ${deviceIds.length}`)
  for (const id of deviceIds) {
    const got = final.landed.get(id)
    if (got?.n !== frames || got.u !== frames || got.hi !== frames) throw new Error(`${id}: ${JSON.stringify(got)}, expected n = u = hi = ${frames}`)
  }
  if (final.gaps !== 0) throw new Error(`${final.gaps} gap rows, expected none`)
  return final
}
