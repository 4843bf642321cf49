import { describe, expect, it } from 'vitest'
import { SeqTracker } from '../index.js'

describe('SeqTracker', () => {
  it('follows a clean sequence', () => {
    const t = new SeqTracker()
    expect([1, 2, 3].map((s) => t.observe('d', s).kind)).toEqual(['next', 'next', 'next'])
    expect(t.openMissing).toBe(0)
  })

  it('opens a gap on a jump and closes it as late frames arrive', () => {
    const t = new SeqTracker()
    t.observe('d', 1)
    expect(t.observe('d', 5)).toEqual({ kind: 'gap', from: 2, to: 4 })
    expect(t.openMissing).toBe(3)
    expect(t.observe('d', 3).kind).toBe('fills_gap')
    expect(t.missing('d')).toEqual([[2, 2], [4, 4]])
    expect(t.observe('d', 2).kind).toBe('fills_gap')
    expect(t.observe('d', 4).kind).toBe('fills_gap')
    expect(t.openMissing).toBe(0)
  })

  it('calls a repeat a duplicate, including a repeat of a late frame', () => {
    const t = new SeqTracker()
    t.observe('d', 1)
    t.observe('d', 3)
    expect(t.observe('d', 1).kind).toBe('duplicate')
    expect(t.observe('d', 2).kind).toBe('fills_gap')
    expect(t.observe('d', 2).kind).toBe('duplicate')
  })

  it('keeps devices apart and bounds what it remembers', () => {
    const t = new SeqTracker()
    t.observe('a', 1)
    t.observe('b', 10)
    expect(t.observe('b', 11).kind).toBe('next')
    for (let i = 0; i < 1000; i++) t.observe('a', 3 + i * 2)
    expect(t.missing('a').length).toBeLessThanOrEqual(64)
  })
})
