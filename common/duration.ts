/**
 * The one duration grammar, for flags, manifests and query strings alike: a number, optionally signed and
 * with decimals, then an optional unit. No unit means milliseconds (manifests give plain numbers as ms).
 * Blanks around the text and between number and unit are ignored. Callers bound the range they accept
 * (most refuse negatives; a clock skew may be negative) and word the error, with DURATION_EXAMPLES, in
 * their own terms (a flag, a manifest line, an HTTP 400).
 *
 *   250, 250ms, 90s, 1.5m, 15m, 24h, 7d, 2w, -15m
 */
const GRAMMAR = /^\s*([+-]?\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const
type Unit = keyof typeof UNIT_MS

/** How errors describe the grammar: "expected a duration like 90s, 15m, 24h, 7d or 2w". */
export const DURATION_EXAMPLES = 'a duration like 90s, 15m, 24h, 7d or 2w'

/** Milliseconds, or undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = GRAMMAR.exec(text)
  if (m === null) return undefined
  return Number(m[1]) * UNIT_MS[(m[2] ?? 'ms') as Unit]
}

/** An exact form in the same grammar, in days at most: 7d, 90m, 1500ms. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : ''
  const a = Math.abs(ms)
  for (const u of ['d', 'h', 'm', 's'] as const) {
    const f = UNIT_MS[u]
    if (a >= f && a % f === 0) return `${sign}${a / f}${u}`
  }
  return `${ms}ms`
}
