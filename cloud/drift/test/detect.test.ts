import { describe, expect, it } from 'vitest'
import { DriftInputError, detectDrift, type DriftResult } from '../index.js'
import { rng } from './scipy-oracle.js'

const r = rng(7)
const normal = (n: number, mu = 0): Float64Array => Float64Array.from({ length: n }, () => mu + r.normal())
const pick = (n: number, values: string[], weights?: number[]): string[] =>
  Array.from({ length: n }, () => {
    const w = weights ?? values.map(() => 1)
    let u = r.next() * w.reduce((a, b) => a + b, 0)
    let i = 0
    while (i < values.length - 1 && (u -= w[i] as number) > 0) i++
    return values[i] as string
  })
/** Categories in a fixed cycle: two such samples have the same shares (up to one), so no test can call them drifted. */
const cycle = (n: number, values: string[]): string[] => Array.from({ length: n }, (_, i) => values[i % values.length] as string)
const ints = (n: number, k: number): Float64Array => Float64Array.from({ length: n }, () => Math.floor(r.next() * k))
const col = (res: DriftResult, name: string) => {
  const c = res.columns.find((x) => x.column === name)
  if (c === undefined) throw new Error(`no column ${name}`)
  return c
}

describe('DataDriftPreset rules', () => {
  it('up to 1,000 reference rows: KS for numeric, chi-squared for categorical, Z for binary, at p < 0.05', () => {
    const n = 1000
    const res = detectDrift({
      reference: { num: normal(n), cat: cycle(n, ['a', 'b', 'c']), bin: pick(n, ['y', 'n']), few: ints(n, 3), two: ints(n, 2) },
      current: { num: normal(400, 0.5), cat: cycle(400, ['a', 'b', 'c']), bin: pick(400, ['y', 'n'], [4, 1]), few: ints(400, 3), two: ints(400, 2) },
    })
    expect(res.columns.map((c) => [c.column, c.kind, c.test])).toEqual([
      ['num', 'numeric', 'ks'], ['cat', 'categorical', 'chisquare'], ['bin', 'binary', 'z'], ['few', 'categorical', 'chisquare'], ['two', 'binary', 'z'],
    ])
    for (const c of res.columns) {
      expect(c.threshold).toBe(0.05)
      expect(c.score).toBe(c.pValue)
      expect(c.drifted).toBe((c.pValue as number) < 0.05)
    }
    expect(col(res, 'num').drifted).toBe(true)
    expect(col(res, 'bin').drifted).toBe(true)
    expect(col(res, 'cat').drifted).toBe(false)
  })

  it('above 1,000: normed Wasserstein for numeric, Jensen–Shannon for the rest, at ≥ 0.1', () => {
    const n = 1001
    const res = detectDrift({
      reference: { num: normal(n), cat: pick(n, ['a', 'b', 'c']), bin: pick(n, ['y', 'n']), few: ints(n, 4) },
      current: { num: normal(2000, 0.3), cat: pick(2000, ['a', 'b', 'c'], [1, 1, 4]), bin: pick(2000, ['y', 'n']), few: ints(2000, 4) },
    })
    expect(res.columns.map((c) => [c.column, c.test])).toEqual([['num', 'wasserstein'], ['cat', 'jensenshannon'], ['bin', 'jensenshannon'], ['few', 'jensenshannon']])
    for (const c of res.columns) {
      expect(c.pValue).toBeNull()
      expect(c.threshold).toBe(0.1)
      expect(c.drifted).toBe(c.statistic >= 0.1)
    }
    expect(col(res, 'num').drifted).toBe(true)
    expect(col(res, 'cat').drifted).toBe(true)
    expect(col(res, 'few').drifted).toBe(false)
  })

  it('judges p strictly below the threshold and distances at or above it', () => {
    const reference = { x: normal(300), y: normal(3000) }
    const current = { x: normal(300, 0.2), y: normal(3000, 0.2) }
    const first = detectDrift({ reference: { x: reference.x }, current: { x: current.x } })
    const p = first.columns[0]?.pValue as number
    expect(detectDrift({ reference: { x: reference.x }, current: { x: current.x }, options: { pValue: p } }).columns[0]?.drifted).toBe(false)
    expect(detectDrift({ reference: { x: reference.x }, current: { x: current.x }, options: { pValue: p * 1.000001 } }).columns[0]?.drifted).toBe(true)
    const w = detectDrift({ reference: { y: reference.y }, current: { y: current.y } }).columns[0]?.statistic as number
    expect(detectDrift({ reference: { y: reference.y }, current: { y: current.y }, options: { distance: w } }).columns[0]?.drifted).toBe(true)
    expect(detectDrift({ reference: { y: reference.y }, current: { y: current.y }, options: { distance: w * 1.000001 } }).columns[0]?.drifted).toBe(false)
  })

  it('compares numeric codes as categories when told to', () => {
    const codes = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => 100 + (i % 9))
    const res = detectDrift({ reference: { code: codes(900) }, current: { code: codes(300) }, options: { categorical: ['code'] } })
    expect(col(res, 'code')).toMatchObject({ kind: 'categorical', test: 'chisquare', drifted: false })
    expect(col(res, 'code').distribution).toMatchObject({ kind: 'categories' })
    expect(detectDrift({ reference: { code: codes(900) }, current: { code: codes(300) } }).columns[0]?.test).toBe('ks')
  })

  it('counts reference values after dropping missing ones, as Evidently does', () => {
    const x = normal(1500)
    for (let i = 0; i < 600; i++) x[i] = i % 2 ? NaN : Infinity
    const res = detectDrift({ reference: { x }, current: { x: normal(100) } })
    expect(col(res, 'x').test).toBe('ks')
    expect(col(res, 'x').reference).toMatchObject({ count: 900, missing: 600 })
  })

  it('the dataset drifts when at least half of its columns drift', () => {
    const n = 500
    const ref = { a: normal(n), b: normal(n), c: normal(n), d: normal(n) }
    // A copy of the reference cannot drift (p = 1); a sample shifted by a standard deviation always does here.
    const moved = (): Float64Array => normal(n, 1)
    const half = { a: moved(), b: moved(), c: ref.c.slice(), d: ref.d.slice() }
    const quarter = { a: moved(), b: ref.b.slice(), c: ref.c.slice(), d: ref.d.slice() }
    const run = (current: typeof ref, driftShare?: number): DriftResult => detectDrift({ reference: ref, current, options: { driftShare } })
    expect([run(half).drifted, run(half).share, run(half).datasetDrift]).toEqual([2, 0.5, true])
    expect([run(quarter).drifted, run(quarter).share, run(quarter).datasetDrift]).toEqual([1, 0.25, false])
    expect(run(quarter, 0.25).datasetDrift).toBe(true)
    expect(run(half, 0.75).datasetDrift).toBe(false)
  })

  it('reports prediction drift on the score column, which counts as a column', () => {
    const res = detectDrift({
      reference: { f: normal(800), score: normal(800) },
      current: { f: normal(800, 0.4), score: normal(800, 0.4) },
      options: { prediction: 'score' },
    })
    expect(res.prediction).toMatchObject({ column: 'score', prediction: true, drifted: true })
    expect(res.columns.filter((c) => c.prediction)).toHaveLength(1)
    expect([res.columns.length, res.drifted, res.datasetDrift]).toEqual([2, 2, true])
  })

  it('takes a feature matrix with names, and gives what the columns give', () => {
    const a = normal(50)
    const b = normal(50, 0.5)
    const values = new Float32Array(100)
    for (let i = 0; i < 50; i++) [values[2 * i], values[2 * i + 1]] = [a[i] as number, b[i] as number]
    const m = detectDrift({ reference: { matrix: { rows: 50, cols: 2, values }, names: ['a', 'b'] }, current: { a: Float64Array.from(b), b: Float64Array.from(a) } })
    const cols = detectDrift({ reference: { a: Float64Array.from(values.filter((_, i) => i % 2 === 0)), b: Float64Array.from(values.filter((_, i) => i % 2 === 1)) }, current: { a: b, b: a } })
    expect(m.columns.map((c) => c.score)).toEqual(cols.columns.map((c) => c.score))
  })

  it('skips a column with no values on one side, and refuses bad tables', () => {
    const res = detectDrift({ reference: { x: normal(10), y: new Float64Array(10).fill(NaN) }, current: { x: normal(10), y: normal(10) } })
    expect(res.skipped).toEqual([{ column: 'y', reason: 'no values in the reference sample' }])
    expect(() => detectDrift({ reference: { x: normal(10), y: normal(9) }, current: { x: normal(10) } })).toThrow(DriftInputError)
    expect(() => detectDrift({ reference: { x: normal(10) }, current: { x: pick(10, ['a']) } })).toThrow(/numeric in one table/)
    expect(() => detectDrift({ reference: { x: normal(10) }, current: { x: normal(10) }, columns: ['nope'] })).toThrow(/not in the reference/)
    expect(() => detectDrift({ reference: { x: normal(10) }, current: { y: normal(10) } })).toThrow(/share no column/)
  })
})
