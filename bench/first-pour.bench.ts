/**
 * First impression: seconds from starting `tapflow up` (as `make up` does: 2,000 taps, 30 days of business
 * history, 3 OPC-UA chillers) until the dashboard's live API (/api/live) shows a pour. Measured twice: on a fresh
 * temp data dir, then again on the same data dir reused (PostgreSQL cluster, chDB and history already there).
 * Target: ≤ 30 s on a fresh data dir.
 *
 *   npx tsx bench/first-pour.bench.ts [--devices 2000] [--history-days 30] [--timeout 120] [--log <file>]
 *
 * --log appends the child's log (JSON lines, with `time`) to a file, to see where the seconds go.
 *
 * Every port is a free one. The child's JSON log lines give the phase breakdown (seconds since spawn of the first
 * line of each phase). Prints one JSON line for bench/run.ts.
 */
import { spawn } from 'node:child_process'
import { appendFileSync, readFileSync } from 'node:fs'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort } from '../test/peers/index.js'

const { values } = parseArgs({ options: {
  devices: { type: 'string', default: '2000' },
  'history-days': { type: 'string', default: '30' },
  timeout: { type: 'string', default: '120' },
  log: { type: 'string' },
} })
const timeoutMs = Number(values.timeout) * 1000

/** Log lines whose first appearance marks a phase of the start. */
const PHASES: Readonly<Record<string, RegExp>> = {
  dashboard_listening: /dashboard, \/status and \/metrics listening/,
  postgres_ready: /"component":"business".*"applied migration"|business: simulating/,
  history_simulated: /history simulated at daily granularity/,
  fleet_control: /FleetService listening/,
  simulation_running: /"simulation running"/,
  sessions_connected: /device sessions connected/,
  banner: /TapFlow is up/,
}

interface Trial {
  seconds: number
  /** CPU seconds the tapflow process used until then (Linux; PostgreSQL's own processes not included). */
  cpuSeconds: number | undefined
  phases: Record<string, number>
}

/** utime + stime of a process, in seconds, from /proc (undefined elsewhere). */
function cpuSecondsOf(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    // Fields 14 and 15 of stat (utime, stime) are 11 and 12 here, after "pid (comm) ", in clock ticks (100 Hz on Linux).
    return Math.round((Number(fields[11]) + Number(fields[12]))) / 100
  } catch {
    return undefined
  }
}

async function trial(dataDir: string): Promise<Trial> {
  const [mqtt, web, sql, grpc] = await Promise.all([freePort(), freePort(), freePort(), freePort()])
  // Chillers take consecutive ports from the first.
  const opcua = 20_000 + Math.floor(Math.random() * 20_000)
  const t0 = performance.now()
  const spawnedAt = Date.now()
  if (values.log !== undefined) appendFileSync(values.log, `${JSON.stringify({ time: Date.now(), msg: `bench: spawning tapflow up on ${dataDir}` })}\n`)
  const child = spawn(process.execPath, [
    'cli/bin/tapflow.js', 'up', '--devices', values.devices!, '--history-days', values['history-days']!, '--data-dir', dataDir,
    '--mqtt-port', String(mqtt), '--web-port', String(web), '--sql-port', String(sql), '--grpc-port', String(grpc), '--opcua-port', String(opcua), '--site-port', '0',
  ], { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info' } })
  const phases: Record<string, number> = {}
  let tail = ''
  child.stderr.on('data', (d: Buffer) => {
    const text = d.toString()
    if (values.log !== undefined) appendFileSync(values.log, text)
    tail = (tail + text).slice(-4000)
    const at = Math.round((performance.now() - t0) / 100) / 10
    for (const [name, re] of Object.entries(PHASES)) if (phases[name] === undefined && re.test(text)) phases[name] = at
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let gone = false
  void exited.then(() => (gone = true))
  try {
    for (;;) {
      if (gone) throw new Error(`tapflow up exited before a pour showed: ${tail.slice(-1500)}`)
      if (performance.now() - t0 > timeoutMs) throw new Error(`no pour on /api/live within ${values.timeout} s: ${tail.slice(-1500)}`)
      const r = await fetch(`http://127.0.0.1:${web}/api/live?limit=5`).catch(() => undefined)
      // Only a pour received by this run counts: a reused data dir still shows the last run's pours for a while.
      const pours = r?.ok === true ? ((await r.json()) as { pours?: { receivedAt: number }[] }).pours ?? [] : []
      if (pours.some((p) => p.receivedAt >= spawnedAt)) break
      await new Promise((res) => setTimeout(res, 200))
    }
    const seconds = Math.round((performance.now() - t0) / 100) / 10
    const cpuSeconds = cpuSecondsOf(child.pid)
    if (values.log !== undefined) appendFileSync(values.log, `${JSON.stringify({ time: Date.now(), msg: `bench: first pour on /api/live after ${seconds} s` })}\n`)
    return { seconds, cpuSeconds, phases }
  } finally {
    child.kill('SIGINT')
    const code = await Promise.race([exited, new Promise((res) => setTimeout(res, 60_000, 'timeout'))])
    if (code === 'timeout') child.kill('SIGKILL')
  }
}

const dir = await mkdtemp(join(tmpdir(), 'tapflow-bench-first-pour-'))
await chmod(dir, 0o755) // as root, embedded PostgreSQL runs as the postgres user and must reach its directory
try {
  const fresh = await trial(dir)
  process.stderr.write(`fresh data dir: ${JSON.stringify(fresh)}\n`)
  const reused = await trial(dir)
  process.stderr.write(`reused data dir: ${JSON.stringify(reused)}\n`)
  process.stdout.write(`${JSON.stringify({
    name: 'first-pour',
    command: `npx tsx bench/first-pour.bench.ts --devices ${values.devices} --history-days ${values['history-days']}`,
    target: '`make up` shows a live pour on the dashboard (/api/live) within 30 s of start, on a fresh data dir',
    headline: ['fresh_seconds', 'reused_seconds', 'meets_target'],
    results: {
      fresh_seconds: fresh.seconds, reused_seconds: reused.seconds, fresh_cpu_seconds: fresh.cpuSeconds ?? 'n/a', reused_cpu_seconds: reused.cpuSeconds ?? 'n/a',
      ...Object.fromEntries(Object.entries(fresh.phases).map(([k, v]) => [`fresh_${k}_s`, v])),
      ...Object.fromEntries(Object.entries(reused.phases).map(([k, v]) => [`reused_${k}_s`, v])),
      meets_target: fresh.seconds <= 30,
    },
    notes: 'Seconds from spawning `tapflow up` (default 2,000 taps, 30 history days, 3 chillers) to the first pour on /api/live; cpu_seconds: CPU the tapflow process used by then (a figure that load from other processes inflates less); phases are when their first log line appeared.',
  })}\n`)
} finally {
  await rm(dir, { recursive: true, force: true })
}
