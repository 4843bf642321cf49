import type { FailureProfile } from './types.js'

const H = 3_600_000

/** The uplink is down for `outage` from onset; the tap queues frames and sends them when it is back. */
export const offline: FailureProfile = {
  name: 'offline',
  kind: 'connectivity',
  summary: 'no frames for `outage`, then a burst of queued frames (late if the outage passed 48 h)',
  params: { outage: { default: 2 * H, min: 60_000, max: 30 * 24 * H, unit: 'ms', doc: 'how long the uplink is down' } },
  effects: (s, p, since) => ({ offline: s > 0 && since < p.outage! }),
}

/** The link drops and returns on a cycle; the down share grows with severity. */
export const flapping: FailureProfile = {
  name: 'flapping',
  kind: 'connectivity',
  summary: 'frames arrive in bursts: down for down_share of every period',
  params: {
    period: { default: 10 * 60_000, min: 10_000, max: 24 * H, unit: 'ms', doc: 'length of one up/down cycle' },
    down_share: { default: 0.5, min: 0.05, max: 0.95, doc: 'share of each cycle spent down, at failure' },
  },
  effects: (s, p, since) => ({ offline: s > 0 && (since % p.period!) / p.period! < p.down_share! * s }),
}

/** A marginal link: frames are lost for good, leaving seq gaps. */
export const intermittent: FailureProfile = {
  name: 'intermittent',
  kind: 'connectivity',
  summary: 'a share `loss` of frames never arrives (seq gaps)',
  params: { loss: { default: 0.2, min: 0.001, max: 1, doc: 'share of frames lost at failure' } },
  effects: (s, p) => ({ lossProb: p.loss! * s }),
}
