import { describe, expect, it } from 'vitest'
import { Rng } from '../../../../common/index.js'
import { radixSort } from '../binning.js'

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
