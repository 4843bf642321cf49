/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, computed as scipy 1.10's `ks_2samp(x, y, method='auto')` does:
 * the exact distribution (Hodges' lattice-path counting) when both samples have at most 10,000 values, else
 * `kstwo.sf(d, round(n·m/(n+m)))`, the one-sample two-sided distribution chosen by Simard & L'Ecuyer's rules
 * (Durbin/Marsaglia–Tsang–Wang matrix, Pomeranz, Pelz–Good, or twice the one-sided Smirnov tail). The same
 * branches in the same order, so p-values agree with scipy to rounding, approximations included.
 */

export interface KsResult {
  /** sup |F₁ − F₂|. */
  statistic: number
  pValue: number
  method: 'exact' | 'asymp'
}

const MAX_AUTO_N = 10_000

/** Both samples must be free of NaN. Sorts copies. */
export function ks2samp(x: ArrayLike<number>, y: ArrayLike<number>): KsResult {
  const a = Float64Array.from(x).sort()
  const b = Float64Array.from(y).sort()
  const n1 = a.length
  const n2 = b.length
  if (n1 === 0 || n2 === 0) throw new RangeError('ks2samp needs two non-empty samples')
  // max and min of F₁(v) − F₂(v) over every observed value v (searchsorted 'right' = count of values ≤ v).
  let maxS = -Infinity
  let minS = Infinity
  let i = 0
  let j = 0
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && (a[i] as number) <= (b[j] as number)) ? (a[i] as number) : (b[j] as number)
    while (i < n1 && (a[i] as number) <= v) i++
    while (j < n2 && (b[j] as number) <= v) j++
    const diff = i / n1 - j / n2
    if (diff > maxS) maxS = diff
    if (diff < minS) minS = diff
  }
  const lo = Math.min(Math.max(-minS, 0), 1)
  let d = lo > maxS ? lo : maxS
  if (Math.max(n1, n2) <= MAX_AUTO_N) {
    const g = gcd(n1, n2)
    const lcm = (n1 / g) * n2
    const h = roundHalfEven(d * lcm)
    d = h / lcm
    if (h === 0) return { statistic: d, pValue: 1, method: 'exact' }
    const p = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h)
    if (p >= 0 && p <= 1) return { statistic: d, pValue: p, method: 'exact' }
  }
  const [m, n] = n1 >= n2 ? [n1, n2] : [n2, n1]
  const en = (m * n) / (m + n)
  return { statistic: d, pValue: clip(kstwoSf(d, roundHalfEven(en))), method: 'asymp' }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b]
  return a
}

/** numpy's round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x)
  const r = x - f
  if (r > 0.5) return f + 1
  if (r < 0.5) return f
  return f % 2 === 0 ? f : f + 1
}

const clip = (p: number): number => Math.min(Math.max(p, 0), 1)

/** Pr(D_{n,n} ≥ h/n), by the Horner-like alternating sum scipy uses. */
function probOutsideSquare(n: number, h: number): number {
  let P = 0
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1)
    P = p1 * (1 - P)
  }
  return 2 * P
}

/** Share of lattice paths from (0,0) to (m,n) that leave |x/m − y/n| < h/lcm, computed as 1 − p directly (Viehmann). */
function outerProbInside(m0: number, n0: number, g: number, h: number): number {
  const [m, n] = m0 >= n0 ? [m0, n0] : [n0, m0]
  const mg = m / g
  const ng = n / g
  let minj = 0
  let maxj = Math.min(Math.ceil(h / mg), n + 1)
  let curlen = maxj - minj
  const lenA = Math.min(2 * maxj + 2, n + 1)
  const A = new Float64Array(lenA).fill(1)
  A.fill(0, minj, maxj)
  for (let i = 1; i <= m; i++) {
    const lastminj = minj
    const lastlen = curlen
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n)
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1)
    if (maxj <= minj) return 1
    let val = minj === 0 ? 0 : 1
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj
      val = ((A[jj + minj - lastminj] as number) * i + val * j) / (i + j)
      A[jj] = val
    }
    curlen = maxj - minj
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen))
  }
  return A[maxj - minj - 1] as number
}

// ---- kstwo.sf: scipy/stats/_ksstats.py ------------------------------------------------------------------

const E128 = 2 ** 128
const EM128 = 2 ** -128
const SQRT2PI = Math.sqrt(2 * Math.PI)
const LOG_2PI = Math.log(2 * Math.PI)
const PI2 = Math.PI ** 2
const PI4 = Math.PI ** 4
const PI6 = Math.PI ** 6
// B₂ⱼ/(2j)/(2j−1) for j = 8 … 1 (scipy's _STIRLING_COEFFS, to double precision).
const STIRLING = [-0.029550653594771242, 0.00641025641025641, -0.0019175269175269176, 0.0008417508417508417, -0.0005952380952380953,
  0.0007936507936507937, -0.002777777777777778, 0.08333333333333333]

function logNFactorialDivNPowN(n: number): number {
  const rn = 1 / n
  let poly = 0
  for (const c of STIRLING) poly = poly * (rn / n) + c
  return Math.log(n) / 2 - n + LOG_2PI / 2 + rn * poly
}

/** Survival function of the two-sided one-sample KS statistic D_n (scipy's `_kolmogn(n, x, cdf=False)`). */
export function kstwoSf(x: number, n: number): number {
  if (x >= 1) return 0
  if (x <= 0) return 1
  const t = n * x
  if (t <= 1) {
    if (t <= 0.5) return 1
    let prob: number
    if (n <= 140) {
      prob = 1
      for (let i = 1; i <= n; i++) prob *= i * (1 / n) * (2 * t - 1)
    } else {
      prob = Math.exp(logNFactorialDivNPowN(n) + n * Math.log(2 * t - 1))
    }
    return clip(1 - prob)
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n)
  if (x >= 0.5) return clip(2 * smirnov(n, x))
  const nxsquared = t * x
  if (n <= 140) {
    if (nxsquared <= 0.754693) return clip(1 - durbinMtw(n, x))
    if (nxsquared <= 4) return clip(1 - pomeranz(n, x))
    return clip(2 * smirnov(n, x))
  }
  if (nxsquared >= 370) return 0
  if (nxsquared >= 2.2) return clip(2 * smirnov(n, x))
  let cdf: number
  if (nxsquared >= 18) cdf = 1
  else if (n <= 100_000 && n * x ** 1.5 <= 1.4) cdf = durbinMtw(n, x)
  else cdf = pelzGood(n, x)
  return clip(1 - cdf)
}

/** Pr(D_n ≤ d): Durbin's matrix, powered as Marsaglia, Tsang and Wang do, with scaling by 2^128. */
function durbinMtw(n: number, d: number): number {
  if (d >= 1) return 1
  const nd = n * d
  if (nd <= 0.5) return 0
  const k = Math.ceil(nd)
  const h = k - nd
  const m = 2 * k - 1
  const v = new Float64Array(m)
  const w = new Float64Array(m)
  let fac = 1
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac
    fac /= j
    v[j - 1] = (1 - h ** j) * fac
  }
  const tt = Math.max(2 * h - 1, 0) ** m - 2 * h ** m
  v[m - 1] = (1 + tt) * fac
  let H = new Float64Array(m * m)
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1] as number
  for (let r = 0; r < m; r++) H[r * m] = v[r] as number
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c] as number
  let P = new Float64Array(m * m)
  for (let r = 0; r < m; r++) P[r * m + r] = 1
  let nn = n
  let expnt = 0
  let hExpnt = 0
  while (nn > 0) {
    if (nn % 2) {
      P = matmul(P, H, m)
      expnt += hExpnt
    }
    H = matmul(H, H, m)
    hExpnt *= 2
    if (Math.abs(H[(k - 1) * m + (k - 1)] as number) > E128) {
      for (let q = 0; q < H.length; q++) H[q] = (H[q] as number) / E128
      hExpnt += 128
    }
    nn = Math.floor(nn / 2)
  }
  let p = P[(k - 1) * m + (k - 1)] as number
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n
    if (Math.abs(p) < EM128) {
      p *= E128
      expnt -= 128
    }
  }
  if (expnt !== 0) p *= 2 ** expnt
  return clip(p)
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(m * m)
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k] as number
      if (aik === 0) continue
      for (let j = 0; j < m; j++) out[i * m + j] = (out[i * m + j] as number) + aik * (b[k * m + j] as number)
    }
  }
  return out
}

function pomeranzJ1J2(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number
  let j2: number
  if (i === 0) {
    j1 = -ll - ceilf - 1
    j2 = ll + ceilf - 1
  } else {
    const ip1div2 = Math.floor((i + 1) / 2)
    const ip1mod2 = (i + 1) % 2
    if (ip1mod2 === 0) {
      if (ip1div2 === n + 1) {
        j1 = n - ll - ceilf - 1
        j2 = n + ll + ceilf - 1
      } else {
        j1 = ip1div2 - 1 - ll - roundf - 1
        j2 = ip1div2 + ll - 1 + ceilf - 1
      }
    } else {
      j1 = ip1div2 - 1 - ll - 1
      j2 = ip1div2 + ll + roundf - 1
    }
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)]
}

/** Pr(D_n ≤ x) by Pomeranz's recursion (n ≤ 140 only). */
function pomeranz(n: number, x: number): number {
  const t = n * x
  const ll = Math.floor(t)
  const f = t - ll
  const g = Math.min(f, 1 - f)
  const ceilf = f > 0 ? 1 : 0
  const roundf = f > 0.5 ? 1 : 0
  const npwrs = 2 * (ll + 1)
  const gpower = new Float64Array(npwrs)
  const twogpower = new Float64Array(npwrs)
  const onem2gpower = new Float64Array(npwrs)
  gpower[0] = twogpower[0] = onem2gpower[0] = 1
  for (let m = 1; m < npwrs; m++) {
    gpower[m] = ((gpower[m - 1] as number) * (g / n)) / m
    twogpower[m] = ((twogpower[m - 1] as number) * ((2 * g) / n)) / m
    onem2gpower[m] = ((onem2gpower[m - 1] as number) * ((1 - 2 * g) / n)) / m
  }
  let V0 = new Float64Array(npwrs)
  let V1 = new Float64Array(npwrs)
  V1[0] = 1
  let V0s = 0
  let V1s = 0
  let expnt = 0
  let [j1, j2] = pomeranzJ1J2(0, n, ll, ceilf, roundf)
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1
    ;[V0, V1] = [V1, V0]
    ;[V0s, V1s] = [V1s, V0s]
    V1.fill(0)
    ;[j1, j2] = pomeranzJ1J2(i, n, ll, ceilf, roundf)
    const pwrs = i === 1 || i === 2 * n + 1 ? gpower : i % 2 ? twogpower : onem2gpower
    const ln2 = j2 - k1 + 1
    if (ln2 > 0) {
      const src = V0.subarray(k1 - V0s, Math.min(k1 - V0s + ln2, npwrs))
      const conv = convolve(src, pwrs.subarray(0, ln2))
      const convStart = j1 - k1
      const convLen = j2 - j1 + 1
      for (let q = 0; q < convLen; q++) V1[q] = conv[convStart + q] ?? 0
      let max = 0
      for (const e of V1) if (e > max) max = e
      if (max > 0 && max < EM128) {
        for (let q = 0; q < npwrs; q++) V1[q] = (V1[q] as number) * E128
        expnt -= 128
      }
      V1s = V0s + j1 - k1
    }
  }
  let ans = V1[n - V1s] as number
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > E128) {
      ans *= EM128
      expnt += 128
    }
    ans *= m
  }
  if (expnt !== 0) ans *= 2 ** expnt
  return clip(ans)
}

function convolve(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length - 1)
  for (let i = 0; i < a.length; i++) for (let j = 0; j < b.length; j++) out[i + j] = (out[i + j] as number) + (a[i] as number) * (b[j] as number)
  return out
}

/** The Pelz–Good asymptotic series for Pr(D_n ≤ x). */
function pelzGood(n: number, x: number): number {
  if (x <= 0) return 0
  if (x >= 1) return 1
  const z = Math.sqrt(n) * x
  const z2 = z * z
  const z3 = z2 * z
  const z4 = z2 * z2
  const z6 = z4 * z2
  const qlog = -PI2 / 8 / z2
  if (qlog < -708) return 0
  let q = Math.exp(qlog)
  const k1a = -z2
  const k1b = PI2 / 4
  const k2a = 6 * z6 + 2 * z4
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4
  const k2c = (PI4 * (1 - 2 * z2)) / 16
  const k3d = (PI6 * (5 - 30 * z2)) / 64
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4
  const k3a = -30 * z6 - 90 * z ** 8
  const K = [0, 0, 0, 0]
  const maxk = Math.ceil((16 * z) / Math.PI)
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1
    const m2 = m * m
    const m4 = m2 * m2
    const m6 = m4 * m2
    const qp = q ** (8 * k)
    const c = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6]
    for (let r = 0; r < 4; r++) K[r] = (K[r] as number) * qp + (c[r] as number)
  }
  const div = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10]
  for (let r = 0; r < 4; r++) K[r] = ((K[r] as number) * q * SQRT2PI) / (div[r] as number)
  q = Math.exp(-PI2 / 2 / z2)
  let k2extra = 0
  let k3extra = 0
  const sqrt3z = Math.sqrt(3) * z
  for (let k = maxk; k > 0; k--) {
    const qk = q ** (k * k)
    k2extra += k * k * qk
    k3extra += (sqrt3z + Math.PI * k) * (sqrt3z - Math.PI * k) * k * k * qk
  }
  K[2] = (K[2] as number) + (k2extra * PI2 * SQRT2PI) / (-36 * z3)
  K[3] = (K[3] as number) + (k3extra * PI2 * SQRT2PI) / (216 * z6)
  let sum = 0
  for (let r = 0; r < 4; r++) sum += (K[r] as number) / n ** (r / 2)
  return sum
}

/**
 * The one-sided Smirnov tail Pr(D⁺_n ≥ x), Birnbaum–Tingey's sum in logs (scipy's cephes `smirnov`, which sums
 * the same terms in double-double; Miller's approximation above a million).
 */
export function smirnov(n: number, x: number): number {
  if (x <= 0) return 1
  if (x >= 1) return 0
  if (n === 1) return 1 - x
  const nx = n * x
  if (nx <= 1) return clip(1 - x * (1 + x) ** (n - 1))
  if (-2 * n * x * x < -708.3964185322641) return 0
  if (Math.floor(nx) >= n - 1) return clip((1 - x) ** n)
  if (n > 1_000_000) return Math.exp(-((6 * nx + 1) ** 2) / 18 / n)
  const last = Math.floor(n - nx)
  const logx = Math.log(x)
  let logC = 0
  let sum = 0
  for (let v = 0; v <= last; v++) {
    if (v > 0) logC += Math.log((n - v + 1) / v)
    const right = (n - v) / n - x
    if (right <= 0) break
    const lt = logC + logx + (v - 1) * Math.log(x + v / n) + (n - v) * Math.log(right)
    if (lt > -745) sum += Math.exp(lt)
  }
  return clip(sum)
}
