import { describe, expect, it } from 'vitest'
import { Rng } from '../../../../common/index.js'
import { bestSplit, fillHistogram, nodeJob, partitionRows, type KernelData, type NodeTask } from '../kernels.js'

/** Random bins (NaN in some features), logloss-like gradients and hessians; the leaf is `order[0, n)`, a random subset of rows. */
function data(rows: number, cols: number, seed: number, msl: number): { d: KernelData; n: number } {
  const rng = new Rng(seed)
  const nBins = Uint16Array.from({ length: cols }, (_, f) => (f % 3 === 0 ? 255 : 3 + Math.floor(rng.next() * 40)))
  const hasNan = Uint8Array.from({ length: cols }, (_, f) => (f % 4 === 1 ? 1 : 0))
  const bins = new Uint8Array(rows * cols)
  const colBins = new Uint8Array(rows * cols)
  for (let i = 0; i < rows; i++) {
    for (let f = 0; f < cols; f++) {
      // Skewed bins, so that some splits leave few rows on one side.
      const b = hasNan[f] === 1 && rng.chance(0.2) ? nBins[f]! : Math.floor(nBins[f]! * rng.next() ** 3)
      bins[i * cols + f] = b
      colBins[f * rows + i] = b
    }
  }
  const gh = new Float64Array(2 * rows)
  for (let i = 0; i < rows; i++) {
    const p = 1 / (1 + Math.exp(-3 * rng.normal() + 2 * (bins[i * cols]! / 255)))
    const y = rng.chance(p) ? 1 : 0
    gh[2 * i] = p - y
    gh[2 * i + 1] = Math.max(p * (1 - p), 1e-16)
  }
  const order = Uint32Array.from({ length: rows }, (_, i) => i).filter(() => rng.chance(0.7))
  const full = new Uint32Array(rows)
  full.set(order)
  const d: KernelData = {
    cols, rows, bins, colBins, nBins, hasNan, gh, order: full, scratch: new Uint32Array(rows),
    feats: Int32Array.from({ length: cols }, (_, f) => f), rootCounts: new Float64Array(cols * 1024),
    l2: 0.5, minSamplesLeaf: msl, hMin: 1e-16, hMax: 0.25, raw: new Float64Array(rows), y: new Float32Array(rows), weight: new Float64Array(rows),
  }
  return { d, n: order.length }
}

describe('split search without row counts', () => {
  it('finds exactly the split that exact counts find, however minSamplesLeaf cuts', () => {
    for (const [seed, msl] of [[1, 1], [2, 20], [3, 300], [4, 2000], [5, 4000]] as const) {
      const { d, n } = data(12_000, 9, seed, msl)
      let g = 0
      let h = 0
      for (let k = 0; k < n; k++) {
        g += d.gh[2 * d.order[k]!]!
        h += d.gh[2 * d.order[k]! + 1]!
      }
      const results = [1, 2].map((counts) => {
        const hist = new Float64Array(d.cols * 1024)
        const t: NodeTask = { small: hist, parent: null, start: 0, end: n, counts, parentExact: 1, splitSmall: 1, splitLarge: 0, gs: g, hs: h, gl: 0, hl: 0, largeStart: 0, largeEnd: 0 }
        const out = new Float64Array(16)
        nodeJob(d, t, 0, d.cols, out, 0)
        // Two halves of the features, as two threads search them: same answer.
        const lo = new Float64Array(8)
        const hi = new Float64Array(8)
        bestSplit(d, hist, counts === 1 ? 1 : 0, 0, n, 0, 4, g, h, lo, 0)
        bestSplit(d, hist, counts === 1 ? 1 : 0, 0, n, 4, d.cols, g, h, hi, 0)
        expect(Array.from(hi[0]! > lo[0]! ? hi : lo)).toEqual(Array.from(out.subarray(0, 8)))
        return Array.from(out.subarray(0, 7))
      })
      expect(results[0]![0], `seed ${seed}`).toBeGreaterThan(0)
      // missingLeft 2 (NaN to the bigger side, settled by the partition) stands for the exact 0 or 1.
      const [exact, inexact] = results as [number[], number[]]
      if (inexact[3] === 2) {
        const left = partitionRows(d, 0, n, exact[1]!, exact[2]!, 0)
        inexact[3] = left >= n - left ? 1 : 0
      }
      expect(inexact, `seed ${seed}, minSamplesLeaf ${msl}`).toEqual(exact)
    }
  })

  it('fills the same gradient and hessian sums with or without counts', () => {
    const { d } = data(3_000, 5, 9, 20)
    const a = new Float64Array(d.cols * 1024)
    const b = new Float64Array(d.cols * 1024)
    fillHistogram(d, 0, 2_001, 0, d.cols, a, 1)
    fillHistogram(d, 0, 2_001, 0, d.cols, b, 0)
    for (let j = 0; j < a.length; j++) if (j % 4 !== 2) expect(b[j]).toBe(a[j])
    let rows = 0
    for (let j = 2; j < 1024; j += 4) rows += a[j]!
    expect(rows).toBe(2_001)
  })
})
