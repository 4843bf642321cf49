import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../common/index.js'
import { Rng, runDag, topoSort, parseDatabaseUrl, parseMonth, resolveSimConfig, SimulatedFailureSource, type TaskDef } from '../index.js'
import { unreachableByPostgres } from '../business/db/embedded.js'
import { addDays } from '../business/sim/dates.js'

describe('Rng', () => {
  it('is deterministic per (seed, keys) and differs across keys', () => {
    const a = new Rng(7, '2025-01-01', 'usage')
    const b = new Rng(7, '2025-01-01', 'usage')
    const c = new Rng(7, '2025-01-02', 'usage')
    const xs = Array.from({ length: 5 }, () => a.next())
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs)
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs)
  })
  it('poisson has roughly the requested mean', () => {
    const r = new Rng(1, 'p')
    let s = 0
    for (let i = 0; i < 20_000; i++) s += r.poisson(3)
    expect(s / 20_000).toBeGreaterThan(2.9)
    expect(s / 20_000).toBeLessThan(3.1)
  })
})

describe('SimulatedFailureSource', () => {
  it('fails taps in proportion to tap count and venue rate, deterministically', async () => {
    const src = new SimulatedFailureSource({ seed: 3, tapFailureRate: 0.01 })
    const taps = (venue: string, n: number): string[] => Array.from({ length: n }, (_, i) => `tap-${venue}-${String(i + 1).padStart(2, '0')}`)
    const venues = [
      { venueId: 'ven-0001', accountId: 'A', taps: 4, failureRate: 1, deviceIds: taps('0001', 4) },
      { venueId: 'ven-0002', accountId: 'B', taps: 40, failureRate: 1, deviceIds: taps('0002', 40) },
      { venueId: 'ven-0003', accountId: 'C', taps: 4, failureRate: 10, deviceIds: taps('0003', 4) },
    ]
    const name: Record<string, string> = { 'ven-0001': 'small', 'ven-0002': 'big', 'ven-0003': 'flaky' }
    const count: Record<string, number> = { small: 0, big: 0, flaky: 0 }
    for (let d = 1; d <= 300; d++) {
      for (const f of await src.failuresOn(`day-${d}`, venues)) {
        const k = name[f.venueId] ?? ''
        count[k] = (count[k] ?? 0) + 1
        expect(venues.find((v) => v.venueId === f.venueId)?.deviceIds).toContain(f.deviceId)
      }
    }
    expect(count.big).toBeGreaterThan((count.small ?? 0) * 4)
    expect(count.flaky).toBeGreaterThan((count.small ?? 0) * 4)
    expect(await src.failuresOn('x', venues)).toEqual(await new SimulatedFailureSource({ seed: 3, tapFailureRate: 0.01 }).failuresOn('x', venues))
  })

  it('gives the same venue days from its cache as computed afresh: across weekdays, DST and a change of taps', async () => {
    const cached = new SimulatedFailureSource({ seed: 5 })
    const taps = (venue: string, n: number): string[] => Array.from({ length: n }, (_, i) => `tap-${venue}-${String(i + 1).padStart(2, '0')}`)
    // Enough venues to cover several time zones (some with DST, some without).
    const venuesOn = (i: number): { venueId: string; accountId: string; taps: number; failureRate: number; deviceIds: string[] }[] =>
      Array.from({ length: 12 }, (_, v) => {
        const id = String(v + 1).padStart(4, '0')
        const ids = taps(id, 3 + (v % 4) + (i >= 200 && v % 3 === 0 ? 2 : 0))
        return { venueId: `ven-${id}`, accountId: `A${v}`, taps: ids.length, failureRate: 1, deviceIds: ids }
      })
    for (let i = 0, day = '2025-01-01'; i < 400; i += 7, day = addDays(day, 7 + (i % 3))) {
      const venues = venuesOn(i)
      const failures = await cached.failuresOn(day, venues)
      const afresh = new SimulatedFailureSource({ seed: 5 })
      expect(await cached.venueDaysOn(day, venues, failures)).toEqual(await afresh.venueDaysOn(day, venues, failures))
    }
  })
})

describe('embedded PostgreSQL as root', () => {
  it('names the directory the postgres user cannot enter, instead of stalling', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tapflow-0700-'))
    try {
      chmodSync(dir, 0o700)
      expect(unreachableByPostgres(join(dir, 'data', 'postgres'), 0)).toEqual({ path: dir, mode: 0o700 })
      expect(unreachableByPostgres(join(dir, 'data', 'postgres'), 1000)).toBeUndefined()
      chmodSync(dir, 0o755)
      expect(unreachableByPostgres(join(dir, 'data', 'postgres'), 0)).toBeUndefined()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('DAG', () => {
  const task = (name: string, deps: string[], run: () => Promise<void> = async () => undefined, trigger?: 'all_done'): TaskDef<null> =>
    ({ name, deps, run, trigger })

  it('orders by dependencies and rejects cycles and unknown deps', () => {
    expect(topoSort([task('c', ['b']), task('b', ['a']), task('a', [])]).map((t) => t.name)).toEqual(['a', 'b', 'c'])
    expect(() => topoSort([task('a', ['b']), task('b', ['a'])])).toThrow(/cycle/)
    expect(() => topoSort([task('a', ['nope'])])).toThrow(/unknown/)
  })

  it('retries a flaky task, skips dependants of a failed one, and still runs all_done tasks', async () => {
    let flaky = 0
    const attempts: string[] = []
    const result = await runDag([
      task('flaky', [], async () => { if (++flaky < 3) throw new Error('boom') }),
      task('broken', [], async () => { throw new Error('always') }),
      task('after-broken', ['broken']),
      task('report', ['flaky', 'after-broken'], undefined, 'all_done'),
    ], null, { maxAttempts: 3, retryDelayMs: 0, now: () => 0, onAttempt: async (a) => { attempts.push(`${a.task}:${a.status}:${a.attempt}`) } })
    expect(result.get('flaky')).toBe('succeeded')
    expect(result.get('broken')).toBe('failed')
    expect(result.get('after-broken')).toBe('skipped')
    expect(result.get('report')).toBe('succeeded')
    expect(attempts).toContain('flaky:succeeded:3')
    expect(attempts.filter((a) => a.startsWith('broken:failed'))).toHaveLength(3)
  })
})

describe('input validation', () => {
  it('rejects bad database URLs with a ConfigError', () => {
    expect(() => parseDatabaseUrl('not a url')).toThrow(ConfigError)
    expect(() => parseDatabaseUrl('mysql://u@h/db')).toThrow(/postgres:\/\//)
    expect(() => parseDatabaseUrl('postgres://u:secret@h:5432')).toThrow(/database name/)
    expect(() => parseDatabaseUrl('postgres://u:secret@h:5432')).toThrow(/\*\*\*/)
    expect(parseDatabaseUrl('postgresql://u:p@localhost:5432/tapflow').pathname).toBe('/tapflow')
  })
  it('rejects bad months and bad volumes', () => {
    expect(() => parseMonth('2025-13')).toThrow(ConfigError)
    expect(() => parseMonth('January')).toThrow(/YYYY-MM/)
    expect(parseMonth('2025-01')).toBe('2025-01')
    expect(() => resolveSimConfig({ lateEventRate: 2 })).toThrow(ConfigError)
    expect(() => resolveSimConfig({ initialCustomers: -1 })).toThrow(ConfigError)
    expect(resolveSimConfig({ signupsPerDay: 150 }).signupsPerDay).toBe(150)
  })
})
