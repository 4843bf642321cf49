import { benchLoad } from './load-scenario.js'

await benchLoad(
  'load-unbatched',
  'node cli/bin/tapflow.js load --devices 2000 --events 1000000 --qos 1',
  '1,000,000 frames from 2,000 sessions at QoS 1 land with zero loss at ≥ 0.8 × the bare-broker baseline',
  { devices: 2000, events: 1_000_000, qos: 1 },
)
