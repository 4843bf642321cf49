/**
 * One company: the business DAG's cost per simulated day with telemetry, against the time that day takes to
 * simulate at --speed max. A business sized for ~2,000 taps gets a short history (daily model); then its roster's
 * fleet runs for `days` simulated days through the real gateway into chDB (no MQTT: the fastest a day can go), and
 * each day is closed by the DAG reading that telemetry. Target: the DAG well under the day's simulation time.
 *
 *   npx tsx bench/company.bench.ts [--devices 2000] [--days 2] [--history-days 14]
 *
 * Needs nothing else: embedded PostgreSQL and chDB in a temp dir. Prints one JSON line for bench/run.ts.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { openCompany } from '../cloud/index.js'
import { seedHistory } from '../dashboards/index.js'
import { openClickHouse } from '../edge-gateway/index.js'
import { buildRosterFleet } from '../firmware-sim/index.js'

const { values } = parseArgs({ options: {
  devices: { type: 'string', default: '2000' },
  days: { type: 'string', default: '2' },
  'history-days': { type: 'string', default: '14' },
} })
const devices = Number(values.devices)
const days = Number(values.days)
const DAY = 86_400_000
// The first of last month: fixed for a month of reruns, and inside the raw-telemetry retention (by wall clock).
const start = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 1)
const dir = await mkdtemp(join(tmpdir(), 'tapflow-bench-company-'))
await chmod(dir, 0o755) // the embedded server runs as the postgres user
const ch = openClickHouse({ path: join(dir, 'clickhouse') })
try {
  const company = await openCompany({ clickhouse: ch.client, dataDir: dir, seed: 3, devices, startMs: start, historyDays: Number(values['history-days']) })
  try {
    const h0 = performance.now()
    await company.runHistory(false)
    const historyS = (performance.now() - h0) / 1000
    const roster = await company.roster()
    const fleet = buildRosterFleet({ seed: 3, venues: roster })
    const simMs: number[] = []
    const dagMs: number[] = []
    let frames = 0
    for (let d = 0; d < days; d++) {
      const t0 = performance.now()
      frames += (await seedHistory({ clickhouse: ch, fleet, from: start + d * DAY, to: start + (d + 1) * DAY })).frames
      simMs.push(performance.now() - t0)
      const t1 = performance.now()
      await company.closeDay(new Date(start + d * DAY).toISOString().slice(0, 10))
      dagMs.push(performance.now() - t1)
    }
    const mean = (xs: number[]): number => Math.round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length))
    process.stdout.write(`${JSON.stringify({
      name: 'company-day',
      command: `npx tsx bench/company.bench.ts --devices ${devices} --days ${days}`,
      target: 'business DAG per simulated day (with telemetry, ~2,000 taps) well under the time that day takes at --speed max',
      headline: ['taps', 'dag_ms_per_day', 'sim_ms_per_day', 'dag_share'],
      results: {
        taps: fleet.devices.length, venues: fleet.venues.length, frames_per_day: Math.round(frames / days),
        dag_ms_per_day: mean(dagMs), sim_ms_per_day: mean(simMs), dag_share: Math.round((mean(dagMs) / Math.max(1, mean(simMs))) * 100) / 100,
        history_days_seconds: Math.round(historyS * 10) / 10,
      },
      notes: 'sim_ms_per_day is the direct gateway path (no MQTT), the fastest a day can be simulated; through MQTT a day takes longer, so the share is an upper bound.',
    })}\n`)
  } finally {
    await company.close()
  }
} finally {
  await ch.client.close()
  await rm(dir, { recursive: true, force: true })
}
