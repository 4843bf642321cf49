import { describe, expect, it } from 'vitest'
import { formatDuration, parseDuration } from '../index.js'

const S = 1_000
const M = 60 * S
const H = 60 * M
const D = 24 * H

describe('the one duration grammar', () => {
  it.each([
    ['250', 250],
    ['250ms', 250],
    ['90s', 90 * S],
    ['1.5m', 90 * S],
    ['15m', 15 * M],
    ['24h', 24 * H],
    ['7d', 7 * D],
    ['2w', 14 * D],
    ['-15m', -15 * M],
    ['+2h', 2 * H],
    ['0s', 0],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it('accepts everything the three parsers it replaces accepted', () => {
    // cli/options.ts: number + unit ms|s|m|h|d, decimals, trimmed.
    for (const t of ['90s', '15m', '24h', '30d', '1.5h', '100ms', ' 2h ']) expect(parseDuration(t)).toBeGreaterThanOrEqual(0)
    // profiles/registry.ts: also a sign, a bare number (ms) and blanks between number and unit.
    expect(parseDuration('-7d')).toBe(-7 * D)
    expect(parseDuration('6 h')).toBe(6 * H)
    expect(parseDuration('3600000')).toBe(H)
    // dashboards/src/params.ts: up to four digits and m|h|d.
    expect(parseDuration('9999m')).toBe(9999 * M)
    expect(parseDuration('90d')).toBe(90 * D)
  })

  it.each(['', ' ', 'soon', '5x', '1h30m', 'h', '.5h', '1e3', '5 m s', '--5m', 'Infinity', 'NaN', '15M'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined()
  })

  it('formats in the same grammar, in days at most, and reads back what it wrote', () => {
    expect(formatDuration(7 * D)).toBe('7d')
    expect(formatDuration(-15 * M)).toBe('-15m')
    expect(formatDuration(90 * M)).toBe('90m')
    expect(formatDuration(1_500)).toBe('1500ms')
    expect(formatDuration(0)).toBe('0ms')
    for (const ms of [0, 1, 999, S, 61 * S, 90 * M, 30 * D, -7 * D]) expect(parseDuration(formatDuration(ms))).toBe(ms)
  })
})
