import { describe, expect, it } from 'vitest'
import { profileNames } from '../../../firmware-sim/index.js'
import { MODE_RULES, TARGET_MODES, countFailures, labelPoints, splitDays, type GroundTruthRecord } from '../index.js'

const H = 3_600_000
const T0 = Date.UTC(2026, 9, 1)
const DEV = 'tap-0001-01'

/** Labels of one device for one mode, every hour from T0 for `hours`, against a hand-built timeline. */
function timeline(records: Omit<GroundTruthRecord, 'deviceId'>[], mode: string, hours = 96, horizonMs = 24 * H): number[] {
  const points = Array.from({ length: hours }, (_, i) => ({ entity: DEV, ts: T0 + i * H }))
  const col = labelPoints(records.map((r) => ({ deviceId: DEV, ...r })), points, { horizonMs, modes: [mode] })[mode]!
  return [...col]
}

/** 'n' for NaN, else the digit: one character per hour, easy to read against the timeline. */
const show = (xs: number[]): string => xs.map((x) => (Number.isNaN(x) ? 'n' : String(x))).join('')

describe('maintenance labels from ground truth', () => {
  it('classifies every failure profile the simulator has', () => {
    expect(MODE_RULES.map((r) => r.mode).sort()).toEqual(profileNames().sort())
    expect(TARGET_MODES).toEqual(['cooling-failure', 'valve-leak', 'clogged-line', 'gas-pressure-loss', 'power-brownout', 'intermittent'])
  })

  // Each physical mode: onset at hour 10, failure at hour 46 (36 h progression), repaired at hour 52.
  for (const mode of ['cooling-failure', 'valve-leak', 'clogged-line', 'gas-pressure-loss', 'power-brownout']) {
    it(`${mode}: positive in the 24 h before failure, excluded from failure to repair, negative otherwise`, () => {
      const got = timeline([{ mode, source: 'manifest', onsetMs: T0 + 10 * H, failureMs: T0 + 46 * H, clearedMs: T0 + 52 * H }], mode, 60)
      // Hours 0..21 negative; 22..45 positive (failure in (t, t + 24 h]); 46..51 excluded; 52.. negative again.
      expect(show(got)).toBe('0'.repeat(22) + '1'.repeat(24) + 'n'.repeat(6) + '0'.repeat(8))
    })
  }

  it('a failure never cleared excludes every later row; another mode of the same device is unaffected', () => {
    const rec = { mode: 'cooling-failure', source: 'command', onsetMs: T0 + 2 * H, failureMs: T0 + 30 * H, clearedMs: null }
    expect(show(timeline([rec], 'cooling-failure', 40))).toBe('0'.repeat(6) + '1'.repeat(24) + 'n'.repeat(10))
    expect(show(timeline([rec], 'valve-leak', 40))).toBe('0'.repeat(40))
  })

  it('a repair before the failure (cleared in time) leaves no positive: it never failed', () => {
    const got = timeline([{ mode: 'clogged-line', source: 'manifest', onsetMs: T0, failureMs: T0 + 30 * H, clearedMs: T0 + 20 * H }], 'clogged-line', 40)
    expect(show(got)).toBe('0'.repeat(40))
  })

  it('a device that fails twice is positive before each failure', () => {
    const got = timeline([
      { mode: 'valve-leak', source: 'manifest', onsetMs: T0, failureMs: T0 + 30 * H, clearedMs: T0 + 36 * H },
      { mode: 'valve-leak', source: 'manifest', onsetMs: T0 + 50 * H, failureMs: T0 + 70 * H, clearedMs: T0 + 76 * H },
    ], 'valve-leak', 80)
    expect(show(got)).toBe('0'.repeat(6) + '1'.repeat(24) + 'n'.repeat(6) + '0'.repeat(10) + '1'.repeat(24) + 'n'.repeat(6) + '0'.repeat(4))
  })

  it('intermittent with a progression is a target; with none (a step) it is excluded, not negative', () => {
    const ramp = timeline([{ mode: 'intermittent', source: 'manifest', onsetMs: T0 + 20 * H, failureMs: T0 + 32 * H, clearedMs: T0 + 38 * H }], 'intermittent', 40)
    expect(show(ramp)).toBe('0'.repeat(8) + '1'.repeat(24) + 'n'.repeat(6) + '0'.repeat(2))
    const step = timeline([{ mode: 'intermittent', source: 'manifest', onsetMs: T0 + 20 * H, failureMs: T0 + 20 * H, clearedMs: T0 + 26 * H }], 'intermittent', 40)
    // From H before the (instant) failure until clearance the loss is unpredictable noise: excluded.
    expect(show(step)).toBe('n'.repeat(26) + '0'.repeat(14))
  })

  it('a firmware bug of a target mode (a flash fixes it) is excluded from onset to the flash, never positive', () => {
    const got = timeline([{ mode: 'clogged-line', source: 'firmware:1.6.0-rc1', onsetMs: T0 + 30 * H, failureMs: T0 + 60 * H, clearedMs: T0 + 70 * H }], 'clogged-line', 80)
    expect(show(got)).toBe('0'.repeat(30) + 'n'.repeat(40) + '0'.repeat(10))
  })

  it('modes that are not targets (offline, flapping, sensor and data faults) are not labelled by default', () => {
    const records: GroundTruthRecord[] = ['offline', 'flapping', 'stuck-sensor', 'noisy-sensor', 'flow-meter-drift', 'duplicates', 'clock-skew']
      .map((mode) => ({ deviceId: DEV, mode, source: 'manifest', onsetMs: T0 + H, failureMs: T0 + 2 * H, clearedMs: null }))
    const cols = labelPoints(records, [{ entity: DEV, ts: T0 }])
    expect(Object.keys(cols)).toEqual(TARGET_MODES)
    for (const m of TARGET_MODES) expect(cols[m]?.[0]).toBe(0)
  })

  it('the horizon is (t, t + H]: a failure exactly at t is not positive, one at t + H is', () => {
    const rec = { mode: 'power-brownout', source: 'manifest', onsetMs: T0, failureMs: T0 + 6 * H, clearedMs: T0 + 7 * H }
    expect(show(timeline([rec], 'power-brownout', 8, 3 * H))).toBe('0001' + '11' + 'n' + '0')
  })

  it('counts injections and failures per mode, and which failures are targets', () => {
    const to = T0 + 100 * H
    const counts = countFailures([
      { deviceId: 'a', mode: 'cooling-failure', source: 'manifest', onsetMs: T0, failureMs: T0 + H, clearedMs: T0 + 2 * H },
      { deviceId: 'b', mode: 'cooling-failure', source: 'manifest', onsetMs: T0, failureMs: to + H, clearedMs: null },
      { deviceId: 'c', mode: 'flow-meter-drift', source: 'firmware:1.5.0', onsetMs: T0, failureMs: T0 + H, clearedMs: null },
    ], to)
    expect(counts).toEqual([
      { mode: 'cooling-failure', class: 'physical', injected: 2, failed: 1, predictable: 1 },
      { mode: 'flow-meter-drift', class: 'sensor', injected: 1, failed: 1, predictable: 0 },
    ])
  })
})

describe('the split by day', () => {
  it('gives train the earliest days, then validation, then test (60/20/20)', () => {
    const s = splitDays(60)
    expect(s.filter((x) => x === 'train')).toHaveLength(36)
    expect(s.slice(36, 48).every((x) => x === 'validation')).toBe(true)
    expect(s.slice(48).every((x) => x === 'test')).toBe(true)
  })

  it('gives each slice at least a day, and refuses a history too short to split', () => {
    expect(splitDays(3)).toEqual(['train', 'validation', 'test'])
    expect(() => splitDays(2)).toThrow(/too short/)
    expect(() => splitDays(10, { validation: 0.5, test: 0.5 })).toThrow(/leave some days to train/)
  })
})
