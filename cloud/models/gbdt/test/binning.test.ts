import { describe, expect, it } from 'vitest'
import { Rng } from '../../../../common/index.js'
import { binMatrix, findBinEdges, radixSort } from '../binning.js'

describe('radixSort', () => {
  it('orders float32 values bit for bit as the built-in sort does (-0 before +0, infinities at the ends)', () => {
    const rng = new Rng(9)
    for (const n of [0, 1, 2, 3, 1_000, 50_000]) {
      const a = Float32Array.from({ length: n }, (_, i) => (i % 13 === 0 ? -0 : i % 11 === 0 ? 0 : i % 17 === 0 ? (i % 2 ? Infinity : -Infinity) : i % 5 === 0 ? Math.round(rng.normal()) : rng.normal() * 10 ** Math.floor(rng.next() * 40 - 20)))
      const expected = new Uint32Array(a.slice().sort().buffer)
      expect(new Uint32Array(radixSort(a).buffer)).toEqual(expected)
    }
  })
})

describe('binMatrix', () => {
  it('puts every value in the bin a linear search of the edges gives, both layouts', () => {
    const rng = new Rng(4)
    const rows = 20_000
    const cols = 5
    // Wide and narrow scales, few distinct values, signed zeros, infinities, denormals and NaN.
    const special = [-0, 0, Infinity, -Infinity, 1e-40, -1e-40, Number.NaN]
    const values = Float32Array.from({ length: rows * cols }, (_, j) => {
      const f = j % cols
      if (j % 53 === 0) return special[(j / 53) % special.length]!
      if (f === 0) return rng.normal()
      if (f === 1) return rng.normal() * 1e-30
      if (f === 2) return Math.round(rng.normal() * 2)
      if (f === 3) return rng.normal() * 10 ** Math.floor(rng.next() * 20 - 10)
      return rng.chance(0.5) ? -0 : rng.next()
    })
    const x = { rows, cols, values }
    const edges = findBinEdges(x, 255, 0)
    const bins = binMatrix(x, edges)
    const byRow = new Uint8Array(rows * cols)
    const byCol = new Uint8Array(rows * cols)
    for (let j = 0; j < values.length; j++) {
      const f = j % cols
      const v = values[j]!
      const upper = edges.upper[f]!
      let b = 0
      if (v !== v) b = edges.bins[f]!
      else while (b < upper.length && upper[b]! < v) b++
      byRow[j] = b
      byCol[f * rows + Math.floor(j / cols)] = b
    }
    expect(bins.rows).toEqual(byRow)
    expect(bins.cols).toEqual(byCol)
    expect(Array.from(bins.hasNan)).toEqual([1, 1, 1, 1, 1])
  })
})
