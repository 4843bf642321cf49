import { beforeAll, describe, expect, it } from 'vitest'
import { chi2Sf, chiSquareCounts, jensenShannonCounts, ks2samp, kstwoSf, normedWassersteinSorted, zTest } from '../index.js'
import { rng, runPython, scipyAvailable } from './scipy-oracle.js'

// Fixed samples, the same on every run; scipy computes the expected values from them in the test.
const r = rng(20261130)
const normal = (n: number, mu = 0, sd = 1, round?: number): number[] =>
  Array.from({ length: n }, () => {
    const v = mu + sd * r.normal()
    return round === undefined ? v : Math.round(v * round) / round
  })
const categorical = (n: number, weights: number[]): string[] =>
  Array.from({ length: n }, () => {
    let u = r.next() * weights.reduce((a, b) => a + b, 0)
    let i = 0
    while (i < weights.length - 1 && (u -= weights[i] as number) > 0) i++
    return `c${i}`
  })

const KS_CASES: [string, number[], number[]][] = [
  ['equal sizes, same distribution', normal(50), normal(50)],
  ['equal sizes, shifted', normal(80), normal(80, 0.6)],
  ['unequal sizes (inside method)', normal(40), normal(73, 0.3)],
  ['ties (values rounded)', normal(200, 0, 1, 2), normal(1000, 0.1, 1, 2)],
  ['reference 1,000, current 10,000 (exact, largest)', normal(1000), normal(10_000, 0.05)],
  ['identical samples', [1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 7]],
  ['disjoint samples', normal(30), normal(45, 10)],
  ['asymptotic, small shift (Durbin matrix)', normal(300), normal(12_000, 0.02)],
  ['asymptotic, mid shift (Pelz–Good)', normal(1000), normal(20_000, 0.1)],
  ['asymptotic, large shift (Smirnov)', normal(500), normal(15_000, 0.4)],
  ['asymptotic, n ≤ 140 (Pomeranz)', normal(100), normal(10_500, 0.25)],
  ['asymptotic, n ≤ 140, small shift (Durbin matrix)', normal(120), normal(11_000, 0.01)],
]

const CAT_CASES: [string, string[], string[]][] = [
  ['same weights', categorical(600, [5, 3, 2, 1]), categorical(900, [5, 3, 2, 1])],
  ['moved weights', categorical(800, [5, 3, 2, 1]), categorical(400, [2, 3, 2, 3])],
  ['a category only in current', categorical(300, [1, 1, 1]), categorical(300, [1, 1, 1, 0.2])],
  ['many categories', categorical(1000, Array.from({ length: 25 }, (_, i) => 25 - i)), categorical(5000, Array.from({ length: 25 }, (_, i) => 1 + i))],
]

const counts = (xs: string[]): Map<string, number> => {
  const m = new Map<string, number>()
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1)
  return m
}

const ORACLE = `
import json, sys
import numpy as np
from scipy import stats
from scipy.spatial import distance
d = json.load(sys.stdin)
out = {'ks': [], 'chi': [], 'js': [], 'z': [], 'w': [], 'kstwo': [], 'chi2': []}
for a, b in d['ks']:
    r = stats.ks_2samp(np.array(a), np.array(b), method='auto')
    out['ks'].append([float(r.statistic), float(r.pvalue)])
    ref = np.array(a)
    out['w'].append(float(stats.wasserstein_distance(ref, np.array(b)) / max(np.std(ref), 0.001)))
for a, b in d['cat']:
    ref, cur = np.array(a), np.array(b)
    keys = sorted(set(ref) | set(cur))
    rc = {k: int((ref == k).sum()) for k in keys}
    cc = {k: int((cur == k).sum()) for k in keys}
    k_norm = len(cur) / len(ref)
    with np.errstate(divide='ignore'):
        r = stats.chisquare([cc[k] for k in keys], [rc[k] * k_norm for k in keys])
    out['chi'].append([float(r.statistic), float(r.pvalue)])
    out['js'].append(float(distance.jensenshannon([rc[k] / len(ref) for k in keys], [cc[k] / len(cur) for k in keys], 2)))
for a, b in d['bin']:
    key = sorted(set(a) | set(b))[0]
    r1 = np.array([0 if x == key else 1 for x in a]); r2 = np.array([0 if x == key else 1 for x in b])
    n1, n2 = len(r1), len(r2)
    p1, p2 = r1.sum() / n1, r2.sum() / n2
    P = (p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
    out['z'].append([float(z), float(2 * (1 - stats.norm.cdf(abs(z))))])
for x, n in d['kstwo']:
    out['kstwo'].append(float(stats.kstwo.sf(x, n)))
for x, df in d['chi2']:
    out['chi2'].append(float(stats.chi2.sf(x, df)))
print(json.dumps(out))
`

const BIN_CASES: [string[], string[]][] = [
  [categorical(500, [3, 1]), categorical(700, [3, 1])],
  [categorical(900, [3, 1]), categorical(300, [1, 1])],
  [categorical(50, [1, 1]), categorical(80, [9, 1])],
]

// (x, n) pairs that reach every branch of kstwo.sf.
const KSTWO: [number, number][] = [
  [0.004, 100], [0.009, 100], [0.05, 100], [0.08, 100], [0.15, 100], [0.3, 100], [0.6, 100], [0.995, 100],
  [0.01, 140], [0.07, 140], [0.2, 140], [0.02, 1000], [0.03, 1000], [0.04, 1000], [0.045, 1000], [0.06, 1000],
  [0.2, 1000], [0.7, 1000], [0.0008, 1000], [0.01, 5000], [0.02, 5000], [0.005, 200_000], [0.001, 50],
]
const CHI2: [number, number][] = [[0.5, 1], [3.84, 1], [10, 3], [42.1, 24], [250, 200], [180, 200], [1e-3, 5], [700, 30]]

interface Oracle {
  ks: [number, number][]
  w: number[]
  chi: [number, number][]
  js: number[]
  z: [number, number][]
  kstwo: number[]
  chi2: number[]
}

const close = (got: number, want: number, what: string): void => {
  if (want === Infinity) return void expect(got, what).toBe(Infinity)
  expect(Math.abs(got - want), `${what}: got ${got}, scipy ${want}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)))
}

const present = scipyAvailable()

describe.skipIf(!present && process.env.CI !== 'true')('drift statistics against scipy 1.10 (Debian python3-scipy)', () => {
  let want: Oracle
  beforeAll(() => {
    if (!present) throw new Error('/usr/bin/python3 with scipy is missing: install python3-scipy (make test does, as root)')
    want = runPython<Oracle>(ORACLE, {
      ks: KS_CASES.map(([, a, b]) => [a, b]),
      cat: CAT_CASES.map(([, a, b]) => [a, b]),
      bin: BIN_CASES,
      kstwo: KSTWO,
      chi2: CHI2,
    })
  })

  it('two-sample KS: statistic and p-value as ks_2samp(method="auto"), exact and asymptotic', () => {
    for (const [i, [name, a, b]] of KS_CASES.entries()) {
      const got = ks2samp(a, b)
      const [stat, p] = want.ks[i] as [number, number]
      close(got.statistic, stat, `${name}: statistic`)
      close(got.pValue, p, `${name}: p-value (${got.method})`)
    }
    expect(ks2samp(KS_CASES[4]![1], KS_CASES[4]![2]).method).toBe('exact')
    expect(ks2samp(KS_CASES[7]![1], KS_CASES[7]![2]).method).toBe('asymp')
  })

  it('the KS distribution kstwo.sf on every branch', () => {
    for (const [i, [x, n]] of KSTWO.entries()) close(kstwoSf(x, n), want.kstwo[i] as number, `kstwo.sf(${x}, ${n})`)
  })

  it('normed Wasserstein distance: wasserstein_distance / max(std(ref), 0.001)', () => {
    for (const [i, [name, a, b]] of KS_CASES.entries()) {
      close(normedWassersteinSorted(Float64Array.from(a).sort(), Float64Array.from(b).sort()), want.w[i] as number, name)
    }
  })

  it('chi-squared: current counts against reference proportions scaled to the current size', () => {
    for (const [i, [name, a, b]] of CAT_CASES.entries()) {
      const got = chiSquareCounts(counts(a), counts(b))
      const [stat, p] = want.chi[i] as [number, number]
      close(got.statistic, stat, `${name}: statistic`)
      close(got.pValue, p, `${name}: p-value`)
    }
    for (const [i, [x, df]] of CHI2.entries()) close(chi2Sf(x, df), want.chi2[i] as number, `chi2.sf(${x}, ${df})`)
  })

  it('Jensen–Shannon distance in base 2', () => {
    for (const [i, [name, a, b]] of CAT_CASES.entries()) close(jensenShannonCounts(counts(a), counts(b)), want.js[i] as number, name)
  })

  it('two-proportion Z-test', () => {
    for (const [i, [a, b]] of BIN_CASES.entries()) {
      const got = zTest(counts(a), counts(b), (x, y) => (x < y ? -1 : x > y ? 1 : 0))
      const [z, p] = want.z[i] as [number, number]
      close(got.statistic, z, `case ${i}: z`)
      close(got.pValue, p, `case ${i}: p-value`)
    }
  })
})
