/**
 * The other statistics of Evidently's DataDriftPreset, each as the scipy function Evidently calls computes it:
 * `chisquare`, the two-proportion Z-test, `wasserstein_distance` normed by the reference's standard deviation,
 * and `spatial.distance.jensenshannon` in base 2. jstat has the chi-squared CDF, but the regularised incomplete
 * gamma below is all it would give us.
 */

export interface TestResult {
  statistic: number
  pValue: number
}

// ---- Special functions ------------------------------------------------------------------------------------

const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7]

/** log Γ(x) for x > 0 (Lanczos, g = 7): ~15 significant digits. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x)
  const z = x - 1
  let a = LANCZOS[0] as number
  const t = z + 7.5
  for (let i = 1; i < 9; i++) a += (LANCZOS[i] as number) / (z + i)
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a)
}

const EPS = 1e-16
const MAX_ITER = 100_000

/** Regularised upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a): a series below a + 1, Lentz's continued fraction above. */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1
  if (!Number.isFinite(x)) return 0
  const lead = a * Math.log(x) - x - logGamma(a)
  if (x < a + 1) {
    let sum = 1 / a
    let term = sum
    for (let n = 1; n < MAX_ITER; n++) {
      term *= x / (a + n)
      sum += term
      if (Math.abs(term) < Math.abs(sum) * EPS) break
    }
    return Math.max(0, 1 - sum * Math.exp(lead))
  }
  const tiny = 1e-300
  let b = x + 1 - a
  let c = 1 / tiny
  let d = 1 / b
  let h = d
  for (let i = 1; i < MAX_ITER; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < tiny) d = tiny
    c = b + an / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const del = d * c
    h *= del
    if (Math.abs(del - 1) < EPS) break
  }
  return Math.exp(lead) * h
}

/** Survival function of the chi-squared distribution with `df` degrees of freedom (scipy `chi2.sf`). */
export function chi2Sf(x: number, df: number): number {
  if (Number.isNaN(x)) return NaN
  return gammaQ(df / 2, x / 2)
}

/** Standard normal survival 1 − Φ(z), through erfc(z/√2) = Q(½, z²/2) for z ≥ 0. */
export function normalSf(z: number): number {
  if (z < 0) return 1 - normalSf(-z)
  return 0.5 * gammaQ(0.5, (z * z) / 2)
}

// ---- Tests ------------------------------------------------------------------------------------------------

/** Pearson's chi-squared goodness of fit (scipy `chisquare(f_obs, f_exp)`): k − 1 degrees of freedom. */
export function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): TestResult {
  let stat = 0
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i] as number
    const e = expected[i] as number
    stat += ((o - e) * (o - e)) / e
  }
  return { statistic: stat, pValue: stat === Infinity ? 0 : chi2Sf(stat, observed.length - 1) }
}

/**
 * Evidently's chi-squared drift test: current counts against the reference's proportions scaled to the current
 * size, over every category seen in either sample.
 */
export function chiSquareCounts(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): TestResult {
  const keys = new Set([...reference.keys(), ...current.keys()])
  const nRef = sum(reference.values())
  const nCur = sum(current.values())
  const k = nCur / nRef
  const obs: number[] = []
  const exp: number[] = []
  for (const key of keys) {
    obs.push(current.get(key) ?? 0)
    exp.push((reference.get(key) ?? 0) * k)
  }
  return chiSquare(obs, exp)
}

/**
 * Evidently's two-proportion Z-test for a column with at most two values: the first value in sorted order is
 * "0", any other "1"; p = 2·(1 − Φ(|z|)) with the pooled proportion. Both samples one and the same value: p = 1.
 */
export function zTest(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>, order: (a: string, b: string) => number): TestResult {
  const keys = [...new Set([...reference.keys(), ...current.keys()])].sort(order)
  if (reference.size === 1 && current.size === 1 && keys.length === 1) return { statistic: 0, pValue: 1 }
  const first = keys[0] as string
  const n1 = sum(reference.values())
  const n2 = sum(current.values())
  const p1 = (n1 - (reference.get(first) ?? 0)) / n1
  const p2 = (n2 - (current.get(first) ?? 0)) / n2
  const P = (p1 * n1 + p2 * n2) / (n1 + n2)
  const z = (p1 - p2) / Math.sqrt(P * (1 - P) * (1 / n1 + 1 / n2))
  return { statistic: z, pValue: 2 * normalSf(Math.abs(z)) }
}

// ---- Distances --------------------------------------------------------------------------------------------

/** First Wasserstein distance between two samples, both sorted ascending (scipy `wasserstein_distance`). */
export function wasserstein1Sorted(u: Float64Array, v: Float64Array): number {
  const nu = u.length
  const nv = v.length
  let i = 0
  let j = 0
  let total = 0
  let prev = Math.min(u[0] as number, v[0] as number)
  // Between consecutive distinct values w < w' the CDFs are flat: add |F_u(w) − F_v(w)| · (w' − w).
  while (i < nu || j < nv) {
    const w = j >= nv || (i < nu && (u[i] as number) <= (v[j] as number)) ? (u[i] as number) : (v[j] as number)
    total += Math.abs(i / nu - j / nv) * (w - prev)
    while (i < nu && (u[i] as number) <= w) i++
    while (j < nv && (v[j] as number) <= w) j++
    prev = w
  }
  return total
}

/** Population standard deviation (numpy `std`, ddof 0), two-pass. */
export function std(x: ArrayLike<number>): number {
  let mean = 0
  for (let i = 0; i < x.length; i++) mean += x[i] as number
  mean /= x.length
  let ss = 0
  for (let i = 0; i < x.length; i++) ss += ((x[i] as number) - mean) ** 2
  return Math.sqrt(ss / x.length)
}

/** Evidently's normed Wasserstein distance: W₁(ref, cur) / max(std(ref), 0.001). Inputs sorted ascending. */
export function normedWassersteinSorted(ref: Float64Array, cur: Float64Array): number {
  return wasserstein1Sorted(ref, cur) / Math.max(std(ref), 0.001)
}

/** Jensen–Shannon distance between two (unnormalised) distributions (scipy `spatial.distance.jensenshannon`). */
export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>, base = 2): number {
  const sp = sum(Array.from(p))
  const sq = sum(Array.from(q))
  let js = 0
  for (let i = 0; i < p.length; i++) {
    const a = (p[i] as number) / sp
    const b = (q[i] as number) / sq
    const m = (a + b) / 2
    js += relEntr(a, m) + relEntr(b, m)
  }
  return Math.sqrt(js / 2 / Math.log(base))
}

function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y)
  if (x === 0 && y >= 0) return 0
  return Infinity
}

/** Evidently's categorical Jensen–Shannon: each sample's share of every category seen in either, base 2. */
export function jensenShannonCounts(reference: ReadonlyMap<string, number>, current: ReadonlyMap<string, number>): number {
  const keys = [...new Set([...reference.keys(), ...current.keys()])]
  return jensenShannon(keys.map((k) => reference.get(k) ?? 0), keys.map((k) => current.get(k) ?? 0))
}

function sum(xs: Iterable<number>): number {
  let s = 0
  for (const x of xs) s += x
  return s
}
