import { describe, expect, it } from 'vitest'
import { compareModels, type CompareModelsInput, type ScoredWindow } from '../index.js'

const H = 3_600_000
const N = Number.NaN

// 8 rows; row 5 is excluded for cooling-failure and row 6 for valve-leak (the label rule's NaN).
const labels = {
  'cooling-failure': [1, 0, 1, 0, 0, N, 0, 1],
  'valve-leak': [0, 0, 0, 0, 0, 0, N, 0],
  'clogged-line': [0, 1, 0, 0, 0, 0, 0, 0],
}

/** Ranks cooling-failure perfectly (its 0.99 sits on the excluded row); one valve-leak false alarm at 0.85. */
const champion: ScoredWindow = {
  ref: 'maintenance@1', version: 1,
  thresholds: { 'cooling-failure': 0.5, 'valve-leak': 0.5 },
  scores: {
    'cooling-failure': [0.9, 0.1, 0.8, 0.2, 0.3, 0.99, 0.4, 0.7],
    'valve-leak': [0.85, 0, 0, 0, 0, 0, 0, 0],
  },
}

/** Ranks cooling-failure badly, has no valve-leak threshold (never alerts), and scores a mode the champion does not. */
const challenger: ScoredWindow = {
  ref: 'maintenance@2', version: 2,
  thresholds: { 'cooling-failure': 0.55, 'valve-leak': N, 'clogged-line': 0.5 },
  scores: {
    'cooling-failure': [0.6, 0.7, 0.2, 0.1, 0.3, 0, 0.9, 0.5],
    'valve-leak': [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1],
    'clogged-line': [0, 0.9, 0, 0, 0, 0, 0, 0],
  },
}

const input = (o: Partial<CompareModelsInput> = {}): CompareModelsInput => ({
  window: { from: 0, to: 24 * H, everyMs: 6 * H }, rows: 8, entities: 2, horizonMs: 24 * H, labels, champion, challenger, ...o,
})

describe('champion against challenger on one labelled window', () => {
  it('measures each mode at each model\'s own threshold, skipping excluded rows', () => {
    const c = compareModels(input())
    expect(c).toMatchObject({ rows: 8, entities: 2, horizonHours: 24, champion: { ref: 'maintenance@1', version: 1 }, challenger: { ref: 'maintenance@2', version: 2 } })
    const cooling = c.modes.find((m) => m.mode === 'cooling-failure')!
    expect(cooling).toMatchObject({ rows: 7, positives: 3, better: 'champion' })
    expect(cooling.champion).toEqual({ prAuc: 1, precision: 1, recall: 1, threshold: 0.5, flagged: 3 })
    // Ranked 0.9−, 0.7−, 0.6+, 0.5+, 0.3−, 0.2+, 0.1−: AP = ⅓·⅓ + ⅓·½ + ⅓·½ = 4/9. At 0.55: 0.9, 0.7, 0.6 flagged, one right.
    expect(cooling.challenger!.prAuc).toBeCloseTo(4 / 9, 12)
    expect(cooling.challenger).toMatchObject({ precision: 1 / 3, recall: 1 / 3, threshold: 0.55, flagged: 3 })
  })

  it('gives null metrics, not 0, to a mode without positives, and null to a model that does not score a mode', () => {
    const c = compareModels(input())
    const valve = c.modes.find((m) => m.mode === 'valve-leak')!
    expect(valve).toMatchObject({ rows: 7, positives: 0, better: null })
    expect(valve.champion).toEqual({ prAuc: null, precision: null, recall: null, threshold: 0.5, flagged: 1 })
    expect(valve.challenger).toEqual({ prAuc: null, precision: null, recall: null, threshold: null, flagged: 0 })
    const clogged = c.modes.find((m) => m.mode === 'clogged-line')!
    expect(clogged).toMatchObject({ rows: 8, positives: 1, champion: null, better: null })
    expect(clogged.challenger).toMatchObject({ prAuc: 1, precision: 1, recall: 1 })
  })

  it('pools the modes both score into one ranking and summed counts', () => {
    const all = compareModels(input()).overall
    // cooling-failure and valve-leak: clogged-line is the challenger's alone.
    expect(all).toMatchObject({ mode: 'all', rows: 14, positives: 3, better: 'champion' })
    // Champion: 0.9+, 0.85− (valve-leak), 0.8+, 0.7+ → AP = ⅓ + ⅓·⅔ + ⅓·¾ = 29/36; 3 right of 4 flagged.
    expect(all.champion!.prAuc).toBeCloseTo(29 / 36, 12)
    expect(all.champion).toMatchObject({ precision: 3 / 4, recall: 1, threshold: null, flagged: 4 })
    // The challenger's valve-leak 0.1s rank below its last positive: its AP stays 4/9; it flags nothing there.
    expect(all.challenger!.prAuc).toBeCloseTo(4 / 9, 12)
    expect(all.challenger).toMatchObject({ precision: 1 / 3, recall: 1 / 3, flagged: 3 })
  })

  it('without a threshold a mode flags nothing: recall 0 and no precision; equal models tie; no challenger, no verdict', () => {
    const noThreshold = { ...champion, thresholds: { 'valve-leak': 0.5 } }
    const c = compareModels(input({ champion: noThreshold, challenger: champion }))
    const cooling = c.modes.find((m) => m.mode === 'cooling-failure')!
    expect(cooling.champion).toEqual({ prAuc: 1, precision: null, recall: 0, threshold: null, flagged: 0 })
    expect(cooling.better).toBe('tie')
    const alone = compareModels(input({ challenger: undefined }))
    expect(alone.challenger).toBeNull()
    expect(alone.modes.every((m) => m.challenger === null && m.better === null)).toBe(true)
    expect(alone.overall.champion!.prAuc).toBeCloseTo(29 / 36, 12)
  })

  it('refuses scores or labels that do not line up with the rows', () => {
    expect(() => compareModels(input({ rows: 7 }))).toThrow(RangeError)
    expect(() => compareModels(input({ challenger: { ...challenger, scores: { ...challenger.scores, 'valve-leak': [0.1] } } }))).toThrow(/maintenance@2 has 1 valve-leak scores/)
  })
})
