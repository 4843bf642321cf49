import { describe, expect, it } from 'vitest'
import { trainGbdt, type GroundTruthRecord } from '../../models/index.js'
import { AlertBook, PathAttribution, liveReport, type Alert, type Observation } from '../index.js'

const H = 3_600_000

function obs(risk: number, at: number, o: Partial<Observation> = {}): Observation {
  return {
    deviceId: 'd1', venueId: 'v1', accountId: 'a1', mode: 'cooling-failure', model: 'maintenance', version: 1, risk, threshold: 0.5, at,
    expectedFailureAt: at + 10 * H, topFeatures: () => [{ feature: 'temp_c_max_24h', value: 9, contribution: 1.2 }], ...o,
  }
}

describe('the alert book', () => {
  it('opens above the threshold, dedups while open, and resolves only below the hysteresis line, rounds in a row', () => {
    const book = new AlertBook({ resolveRatio: 0.8, updateDelta: 0.05, resolveRounds: 2 })
    expect(book.observe(obs(0.49, 0))).toBeUndefined()
    const opened = book.observe(obs(0.6, H))
    expect(opened?.kind).toBe('opened')
    expect(opened?.alert).toMatchObject({ alertId: `d1:cooling-failure:${H}`, status: 'open', risk: 0.6, openedAt: H, expectedFailureAt: 11 * H })
    expect(opened?.alert.topFeatures[0]?.feature).toBe('temp_c_max_24h')
    // Above the line, small moves: nothing written; a bigger move rewrites the same alert.
    expect(book.observe(obs(0.62, 2 * H))).toBeUndefined()
    // Below the threshold but above the line (0.8 × 0.5): still open, its risk rewritten.
    expect(book.observe(obs(0.45, 3 * H))).toMatchObject({ kind: 'updated', alert: { status: 'open', risk: 0.45 } })
    expect(book.open()).toHaveLength(1)
    const up = book.observe(obs(0.9, 4 * H))
    expect(up?.kind).toBe('updated')
    expect(up?.alert.alertId).toBe(opened?.alert.alertId)
    // One dip below the line is not enough; back above resets the count; two rounds in a row resolve.
    expect(book.observe(obs(0.39, 5 * H))?.kind).toBe('updated')
    expect(book.observe(obs(0.9, 5.5 * H))?.kind).toBe('updated')
    expect(book.observe(obs(0.39, 5.7 * H))?.kind).toBe('updated')
    const resolved = book.observe(obs(0.38, 5.8 * H))
    expect(resolved?.kind).toBe('resolved')
    expect(resolved?.alert).toMatchObject({ status: 'resolved', resolution: 'risk-fell', resolvedAt: 5.8 * H })
    expect(book.open()).toHaveLength(0)
    // Risk back up: a new alert, with a new id.
    expect(book.observe(obs(0.7, 6 * H))?.alert.alertId).toBe(`d1:cooling-failure:${6 * H}`)
  })

  it('resolves on repair and does not reopen until the risk has fallen', () => {
    const book = new AlertBook()
    book.observe(obs(0.8, H))
    book.observe(obs(0.8, H, { mode: 'valve-leak' }))
    expect(book.repaired('d2', 2 * H)).toEqual([])
    expect(book.repaired('d1', H - 1)).toEqual([]) // a clearance before the alert opened is an older repair
    const done = book.repaired('d1', 2 * H)
    expect(done.map((c) => [c.kind, c.alert.mode, c.alert.resolution])).toEqual([['resolved', 'cooling-failure', 'repaired'], ['resolved', 'valve-leak', 'repaired']])
    // The features still remember the fault: no new alert while the risk stays up.
    expect(book.observe(obs(0.8, 3 * H))).toBeUndefined()
    expect(book.observe(obs(0.3, 4 * H))).toBeUndefined()
    expect(book.observe(obs(0.8, 5 * H))?.kind).toBe('opened')
  })

  it('links a ticket once, restores open alerts, and rejects a bad ratio', () => {
    const book = new AlertBook()
    const a = book.observe(obs(0.8, H))!.alert
    expect(book.linkTicket(a.alertId, 'PTK_1', H)?.alert.ticketId).toBe('PTK_1')
    expect(book.linkTicket(a.alertId, 'PTK_1', H)).toBeUndefined()
    const again = new AlertBook()
    again.restore([...book.open(), { ...a, alertId: 'gone', deviceId: 'd9', status: 'resolved' }])
    expect(again.open().map((x) => x.ticketId)).toEqual(['PTK_1'])
    expect(again.observe(obs(0.95, 2 * H))?.kind).toBe('updated') // continues, does not open a second alert
    expect(() => new AlertBook({ resolveRatio: 1.5 })).toThrow(RangeError)
    expect(() => new AlertBook({ resolveRounds: 0 })).toThrow(RangeError)
  })
})

describe('path attribution', () => {
  it('sums to the raw score and credits the feature that drives it', () => {
    const rows = 400
    const values = new Float32Array(rows * 3)
    const y = new Float32Array(rows)
    for (let r = 0; r < rows; r++) {
      values[r * 3] = (r * 37) % 100 // signal
      values[r * 3 + 1] = (r * 53) % 17 // noise
      values[r * 3 + 2] = r % 2 === 0 ? Number.NaN : 1 // missing half the time
      y[r] = values[r * 3]! > 70 ? 1 : 0
    }
    const model = trainGbdt({ rows, cols: 3, values }, y, { objective: 'binary', iterations: 20, minSamplesLeaf: 5 })
    const att = new PathAttribution(model.toJSON(), ['temp', 'noise', 'sparse'])
    for (const r of [0, 1, 17, 99, 250]) {
      const row = values.subarray(r * 3, r * 3 + 3)
      const { raw, contributions } = att.explain(row)
      expect(raw).toBeCloseTo(model.rawBatch({ rows: 1, cols: 3, values: row })[0]!, 9)
      expect(att.bias + contributions.reduce((s, c) => s + c, 0)).toBeCloseTo(raw, 9)
    }
    const hot = Float32Array.of(95, 3, 1)
    const top = att.top(hot, 2)
    expect(top[0]).toMatchObject({ feature: 'temp', value: 95 })
    expect(top[0]!.contribution).toBeGreaterThan(0)
    expect(att.top(Float32Array.of(5, 3, 1)).every((c) => c.feature !== 'temp')).toBe(true) // a cold tap: temp pulls down
  })
})

describe('the live report', () => {
  const gt = (deviceId: string, mode: string, onset: number, failure: number, cleared: number | null = null): GroundTruthRecord => ({ deviceId, mode, source: 'command', onsetMs: onset, failureMs: failure, clearedMs: cleared })
  const alert = (deviceId: string, mode: string, openedAt: number): Alert => ({
    alertId: `${deviceId}:${mode}:${openedAt}`, deviceId, venueId: 'v', accountId: 'a', mode, model: 'm', version: 1, risk: 0.9, threshold: 0.5, openedAt,
    expectedFailureAt: null, topFeatures: [], status: 'open', resolvedAt: null, resolution: '', ticketId: '', updatedAt: openedAt,
  })

  it('counts caught, prevented, missed, pending, false alarms and late alerts, with lead times', () => {
    const truth = [
      gt('d1', 'cooling-failure', 0, 50 * H, 60 * H), // caught 10 h ahead (alert at 40 h)
      gt('d2', 'cooling-failure', 0, 50 * H, 45 * H), // repaired at 45 h after an alert at 30 h: prevented, lead 20 h
      gt('d3', 'cooling-failure', 0, 50 * H), // no alert: missed
      gt('d4', 'cooling-failure', 0, 200 * H), // ahead, no alert: pending
      gt('d5', 'cooling-failure', 0, 5 * H), // before the loop started: not counted
      gt('d6', 'stuck-sensor', 0, 50 * H), // not a mode the model predicts
      gt('d7', 'cooling-failure', 0, 80 * H, 90 * H), // an alert only during the outage: missed, and the alert is late
      gt('d8', 'cooling-failure', 0, 60 * H, 55 * H), // repaired before failure with no alert: not a failure at all
    ]
    const alerts = [
      alert('d1', 'cooling-failure', 40 * H), alert('d1', 'cooling-failure', 45 * H), // the second is the same catch
      alert('d2', 'cooling-failure', 30 * H), alert('d9', 'cooling-failure', 20 * H), alert('d7', 'cooling-failure', 85 * H),
    ]
    const r = liveReport({ alerts, truth, asOf: 100 * H, from: 10 * H, modes: ['cooling-failure'] })
    const m = r.modes[0]!
    expect(m).toMatchObject({ mode: 'cooling-failure', caught: 1, prevented: 1, missed: 2, pending: 1, falseAlarms: 1, late: 1 })
    expect(m.precision).toBeCloseTo(2 / 3, 12)
    expect(m.recall).toBeCloseTo(2 / 4, 12)
    expect(m.leadHours).toEqual({ median: 15, min: 10, max: 20 })
    expect(r.total).toMatchObject({ caught: 1, prevented: 1, missed: 2, falseAlarms: 1 })
    expect(r.events.find((e) => e.deviceId === 'd2')).toMatchObject({ outcome: 'prevented', leadMs: 20 * H })
  })

  it('counts an alert from the onset of a long progression, and says null with nothing to measure', () => {
    const r = liveReport({ alerts: [alert('d1', 'cooling-failure', 10 * H)], truth: [gt('d1', 'cooling-failure', 5 * H, 80 * H)], asOf: 20 * H, from: 0 })
    expect(r.modes[0]).toMatchObject({ caught: 1, missed: 0, recall: 1, precision: 1, leadHours: { median: 70, min: 70, max: 70 } })
    // An older record of the same tap, failed and never cleared: the alert caught the new fault, it is not late.
    const two = liveReport({ alerts: [alert('d1', 'cooling-failure', 10 * H)], truth: [gt('d1', 'cooling-failure', 0, 2 * H), gt('d1', 'cooling-failure', 5 * H, 30 * H)], asOf: 40 * H, from: 0 })
    expect(two.modes[0]).toMatchObject({ caught: 1, late: 0, falseAlarms: 0, missed: 1 })
    const empty = liveReport({ alerts: [], truth: [], asOf: 0, from: 0, modes: ['valve-leak'] })
    expect(empty.modes[0]).toMatchObject({ precision: null, recall: null, leadHours: null })
  })
})
