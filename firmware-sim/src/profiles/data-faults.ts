import type { FailureProfile } from './types.js'

const H = 3_600_000
const share = (d: number, doc: string) => ({ default: d, min: 0.001, max: 1, doc })

/** Frames held back 48 h or more before they are sent; the gateway flags them late. */
export const lateFrames: FailureProfile = {
  name: 'late-frames',
  kind: 'data',
  summary: 'a share of frames arrives `delay` (>= 48 h by default) after its ts_ms',
  params: {
    share: share(0.05, 'share of frames held back'),
    delay: { default: 49 * H, min: 60_000, max: 30 * 24 * H, unit: 'ms', doc: 'how long they are held' },
  },
  effects: (s, p) => ({ lateProb: p.share! * s, lateMs: p.delay! }),
}

export const outOfOrder: FailureProfile = {
  name: 'out-of-order',
  kind: 'data',
  summary: 'a share of frames is sent after the frame that follows it',
  params: { share: share(0.05, 'share of frames swapped with the next') },
  effects: (s, p) => ({ reorderProb: p.share! * s }),
}

export const duplicates: FailureProfile = {
  name: 'duplicates',
  kind: 'data',
  summary: 'a share of frames is sent twice with the same seq',
  params: { share: share(0.05, 'share of frames sent twice') },
  effects: (s, p) => ({ duplicateProb: p.share! * s }),
}

/** Bit rot or a bad buffer: the payload no longer decodes; the gateway dead-letters it. */
export const corruptPayload: FailureProfile = {
  name: 'corrupt-payload',
  kind: 'data',
  summary: 'a share of payloads is corrupted and cannot be decoded',
  params: { share: share(0.02, 'share of payloads corrupted') },
  effects: (s, p) => ({ corruptProb: p.share! * s }),
}

/** The device RTC drifts: ts_ms moves away from true time, up to `skew` at failure. */
export const clockSkew: FailureProfile = {
  name: 'clock-skew',
  kind: 'data',
  summary: 'ts_ms is offset by up to `skew` (negative = behind; ahead by more than 5 min is rejected)',
  params: { skew: { default: -15 * 60_000, min: -7 * 24 * H, max: 24 * H, unit: 'ms', doc: 'clock offset at failure, ms' } },
  effects: (s, p) => ({ skewMs: Math.round(p.skew! * s) }),
}
