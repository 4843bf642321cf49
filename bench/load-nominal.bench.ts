import { benchLoad } from './load-scenario.js'

// The nominal rate: 2,000 taps at real time publish ~1M frames a day (~12 frames/s).
await benchLoad(
  'load-nominal-freshness',
  'node cli/bin/tapflow.js load --devices 2000 --events 900 --speed 1 --no-baseline',
  'at the nominal 1M frames/day, freshness p99 ≤ 1 s',
  { devices: 2000, events: 900, speed: 1, baseline: false },
)
