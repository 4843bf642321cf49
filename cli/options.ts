import { InvalidArgumentError, type Command } from 'commander'
import { DURATION_EXAMPLES, parseDuration } from '../common/index.js'
import type { Speed } from '../firmware-sim/index.js'

/** Option parsers for commander: each throws InvalidArgumentError, which commander prints as one line. */
export function int(min: number, max: number) {
  return (v: string): number => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`)
    return n
  }
}

export const port = int(0, 65_535)

export function speed(v: string): Speed {
  if (v === 'max') return 'max'
  const n = Number(v.replace(/x$/, ''))
  if (!(n > 0 && Number.isFinite(n))) throw new InvalidArgumentError(`expected a positive number (e.g. 1, 60, 3600) or 'max'`)
  return n
}

/** "90s", "15m", "24h", "7d", "2w" → milliseconds, in common's one duration grammar; never negative. */
export function duration(v: string): number {
  const ms = parseDuration(v)
  if (ms === undefined || ms < 0) throw new InvalidArgumentError(`expected ${DURATION_EXAMPLES}`)
  return ms
}

/** ISO date-time or "now" → ms since the epoch. */
export function instant(v: string): number {
  if (v === 'now') return Date.now()
  const t = Date.parse(v)
  if (Number.isNaN(t)) throw new InvalidArgumentError(`expected an ISO date-time such as 2026-11-20T18:00:00Z, or 'now'`)
  return t
}

export function url(protocols: readonly string[]) {
  return (v: string): string => {
    let u: URL
    try {
      u = new URL(v)
    } catch {
      throw new InvalidArgumentError(`not a URL`)
    }
    if (!protocols.includes(u.protocol)) throw new InvalidArgumentError(`expected ${protocols.map((p) => p + '//').join(' or ')}`)
    return v
  }
}

/**
 * Runs `load` before `tapflow <group> … <sub> …` parses or shows its help, for a subcommand whose help text or option
 * parser needs a heavy module's catalogue: the group's other subcommands, and `tapflow <group> --help`, stay light.
 * (On the program, since `tapflow <group> help <sub>` skips the group's own hooks.)
 */
export function beforeSubcommand(program: Command, group: Command, sub: string, load: () => Promise<unknown>): void {
  program.hook('preSubcommand', async (p, cmd) => {
    if (cmd === group && p.args.includes(sub)) await load()
  })
}
