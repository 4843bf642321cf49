import { describe, expect, it } from 'vitest'
import { MAX_SEQ_JUMP, SeqTracker } from '../index.js'

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

describe('SeqTracker: implausible jumps', () => {
  it('dead-letters one frame with seq 2^53 - 1 instead of reporting 9e15 missing, and the sequence goes on', () => {
    const t = new SeqTracker()
    for (let s = 1; s <= 100; s++) t.observe('d', s)
    const v = t.observe('d', 2 ** 53 - 1)
    expect(v.kind).toBe('implausible')
    expect(t.openMissing).toBe(0)
    expect(t.observe('d', 101).kind).toBe('next')
    expect(t.observe('d', 103)).toEqual({ kind: 'gap', from: 102, to: 102 })
    expect(t.openMissing).toBe(1)
  })

  it(`takes a jump of exactly MAX_SEQ_JUMP (${MAX_SEQ_JUMP}) as a gap, one more as implausible`, () => {
    const t = new SeqTracker()
    t.observe('a', 1)
    expect(t.observe('a', 1 + MAX_SEQ_JUMP)).toEqual({ kind: 'gap', from: 2, to: MAX_SEQ_JUMP })
    t.observe('b', 1)
    expect(t.observe('b', 2 + MAX_SEQ_JUMP).kind).toBe('implausible')
    expect(t.openMissing).toBe(MAX_SEQ_JUMP - 1)
  })

  it('rejects seqs that are not safe integers even as the first frame', () => {
    const t = new SeqTracker()
    expect(t.observe('d', 2 ** 53).kind).toBe('implausible')
    expect(t.observe('d', 2 ** 64).kind).toBe('implausible')
    expect(t.observe('d', 1).kind).toBe('next')
  })

  it('takes an implausible seq confirmed by the next one as a device reset, without a gap', () => {
    const t = new SeqTracker()
    t.observe('fwd', 10)
    expect(t.observe('fwd', 5_000_000).kind).toBe('implausible')
    expect(t.observe('fwd', 5_000_001)).toEqual({ kind: 'reset', from: 10, to: 5_000_001 })
    expect(t.observe('fwd', 5_000_002).kind).toBe('next')
    // A counter that restarted from far above: the old numbers would otherwise all be "duplicates".
    t.observe('back', 3_000_000)
    expect(t.observe('back', 1).kind).toBe('implausible')
    expect(t.observe('back', 2).kind).toBe('reset')
    expect(t.observe('back', 3).kind).toBe('next')
    expect(t.openMissing).toBe(0)
  })

  it('still fills an old gap from far below', () => {
    const t = new SeqTracker()
    t.observe('d', 1)
    t.observe('d', 900_000)
    t.observe('d', 1_800_000)
    expect(t.observe('d', 5).kind).toBe('fills_gap')
  })
})
