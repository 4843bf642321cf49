import { describe, expect, it } from 'vitest'
import { liveReport, type Alert } from '../../cloud/index.js'
import { formatLiveReport } from '../commands/models-live.js'

const H = 3_600_000
const alert = (deviceId: string, openedAt: number): Alert => ({
  alertId: `${deviceId}:cooling-failure:${openedAt}`, deviceId, venueId: 'v', accountId: 'a', mode: 'cooling-failure', model: 'maintenance', version: 1, risk: 0.9,
  threshold: 0.5, openedAt, expectedFailureAt: null, topFeatures: [], status: 'open', resolvedAt: null, resolution: '', ticketId: '', updatedAt: openedAt,
})

describe('tapflow models live-report output', () => {
  it('prints a row per mode, the total, and the caught failures with their lead time', () => {
    const r = liveReport({
      alerts: [alert('tap-1', 10 * H), alert('tap-9', 12 * H)],
      truth: [
        { deviceId: 'tap-1', mode: 'cooling-failure', source: 'command', onsetMs: 0, failureMs: 42 * H, clearedMs: null },
        { deviceId: 'tap-2', mode: 'cooling-failure', source: 'command', onsetMs: 0, failureMs: 30 * H, clearedMs: null },
      ],
      asOf: 50 * H, from: 0,
    })
    const out = formatLiveReport(r)
    const lines = out.split('\n')
    expect(lines[0]).toMatch(/^live alerts vs ground truth, failures due 1970-01-01 00:00 → 1970-01-03 02:00 \(simulated\), horizon 24 h$/)
    expect(lines[1]).toMatch(/^mode +caught +prevented +missed +pending +false alarms +late +precision +recall +lead median \(min–max\)$/)
    expect(lines[2]).toMatch(/^cooling-failure +1 +0 +1 +0 +1 +0 +50\.0 % +50\.0 % +32\.0 h \(32\.0 h–32\.0 h\)$/)
    expect(lines[3]).toMatch(/^all +1 +0 +1 /)
    expect(out).toContain('tap-1 cooling-failure: alert 1970-01-01 10:00, failure 1970-01-02 18:00, lead 32.0 h')
  })
})
