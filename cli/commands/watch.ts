import { Command, Option } from 'commander'
import { TapflowError, errorMessage, type Logger } from '../../common/index.js'
import type { LivePour, LiveRates, Overview } from '../../dashboards/index.js'
import { duration, url } from '../options.js'
import { readStackInfo } from '../stack-file.js'

interface WatchOptions {
  url?: string
  dataDir: string
  interval: number
  once?: boolean
  color: boolean
}

const ESC = '\x1b['
const C = { dim: `${ESC}2m`, bold: `${ESC}1m`, red: `${ESC}31m`, green: `${ESC}32m`, yellow: `${ESC}33m`, grey: `${ESC}90m`, reset: `${ESC}0m` }
const HEALTH_COLOUR: Record<string, string> = { ok: C.green, warn: C.yellow, fault: C.red, offline: C.grey, waiting: C.dim }

export function registerWatch(program: Command, _deps: { logger: Logger }): void {
  program
    .command('watch')
    .description('terminal view of the running stack: live pours, rates, devices online and top alerts (Ctrl-C exits)')
    .addOption(new Option('--url <url>', "the stack's dashboard URL (default: from the running stack in --data-dir, else http://127.0.0.1:8080)").argParser(url(['http:', 'https:'])))
    .addOption(new Option('--data-dir <dir>', 'data directory of the running stack').default('./data'))
    .addOption(new Option('--interval <d>', 'refresh period').default(1000, '1s').argParser(duration))
    .addOption(new Option('--once', 'print one snapshot and exit (for scripts and logs)'))
    .addOption(new Option('--no-color', 'plain text without ANSI colours'))
    .action(async (o: WatchOptions) => {
      const base = (o.url ?? readStackInfo(o.dataDir)?.webUrl ?? 'http://127.0.0.1:8080').replace(/\/$/, '')
      const paint = o.color && !process.env.NO_COLOR ? (c: string, s: string) => `${c}${s}${C.reset}` : (_c: string, s: string) => s
      // The first fetch decides: no stack, one clear line and a non-zero exit.
      let frame: string
      try {
        frame = render(await snapshot(base), base, paint, process.stdout.columns || 100)
      } catch (err) {
        throw new TapflowError(`cannot reach the dashboard at ${base} (${errorMessage(err)}); is 'tapflow up' running? (or pass --url)`, 'UNREACHABLE')
      }
      if (o.once || !process.stdout.isTTY) {
        process.stdout.write(frame + '\n')
        return
      }
      // Ctrl-C restores the cursor and exits; nothing to flush, so no drain.
      const restore = (): void => {
        process.stdout.write(`${ESC}?25h\n`)
        process.exit(0)
      }
      process.once('SIGINT', restore)
      process.once('SIGTERM', restore)
      process.stdout.write(`${ESC}?25l${ESC}2J`)
      for (;;) {
        process.stdout.write(`${ESC}H${frame.split('\n').map((l) => l + `${ESC}K`).join('\n')}\n${ESC}J`)
        await new Promise((r) => setTimeout(r, o.interval))
        try {
          frame = render(await snapshot(base), base, paint, process.stdout.columns || 100)
        } catch (err) {
          frame = `${frame.split('\n').slice(0, -1).join('\n')}\n${paint(C.red, `lost the stack at ${base}: ${errorMessage(err)}; retrying…`)}`
        }
      }
    })
}

interface Snapshot {
  overview: Overview
  live: { pours: LivePour[]; rates: LiveRates }
}

async function snapshot(base: string): Promise<Snapshot> {
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(base + path, { signal: AbortSignal.timeout(5_000) })
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`)
    return (await res.json()) as T
  }
  const [overview, live] = await Promise.all([get<Overview>('/api/overview?top=8'), get<Snapshot['live']>('/api/live?limit=12')])
  return { overview, live }
}

/** One screen of text. Pure, so it is easy to test. */
export function render(s: Snapshot, base: string, paint: (c: string, s: string) => string, width: number): string {
  const o = s.overview
  const r = s.live.rates
  const time = (ms: number): string => new Date(ms).toISOString().slice(11, 19)
  const cut = (line: string): string => (line.length > width ? line.slice(0, width - 1) + '…' : line)
  const lines = [
    `${paint(C.bold, 'TapFlow watch')}  ${paint(C.dim, `${base}  data as of ${o.now ? new Date(o.now).toISOString().replace('T', ' ').slice(0, 19) : '—'}  Ctrl-C exits`)}`,
    '',
    `devices ${o.devices}  online ${paint(C.green, String(o.online))}  offline ${paint(C.grey, String(o.byHealth.offline))}  ` +
      (o.byHealth.waiting > 0 ? `waiting for a first frame ${o.byHealth.waiting}  ` : '') +
      `warnings ${paint(C.yellow, String(o.byHealth.warn))}  faults ${paint(C.red, String(o.byHealth.fault))}  venues ${o.venues}`,
    `${paint(C.bold, String(r.framesPerS))} frames/s   ${paint(C.bold, r.litresPerMin.toFixed(1))} litres/min   ${r.pours} pours in the last minute`,
    '',
    paint(C.bold, 'Live pours'),
    ...(s.live.pours.length === 0
      ? [paint(C.dim, '  waiting for pours…')]
      : s.live.pours.map((p) => cut(`  ${time(p.ts)}  ${p.deviceId.padEnd(12)} ${p.venueId.padEnd(9)} ${p.beverage.replace(/^bev-/, '').padEnd(16)} ${String(p.volumeMl).padStart(4)} ml  keg ${(p.kegRemainingMl / 1000).toFixed(1).padStart(5)} l`))),
    '',
    paint(C.bold, 'Top alerts'),
    ...(o.topAlerts.length === 0
      ? [paint(C.green, '  none: every device is healthy')]
      : o.topAlerts.map((a) => cut(`  ${paint(HEALTH_COLOUR[a.health] ?? '', a.health.padEnd(7))} ${a.deviceId.padEnd(12)} ${a.venueName.slice(0, 28).padEnd(28)} ${a.alerts.join(', ')}`))),
  ]
  return lines.join('\n')
}
