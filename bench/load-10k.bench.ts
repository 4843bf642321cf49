import { benchLoad } from './load-scenario.js'

await benchLoad(
  'load-10k-sessions',
  'node cli/bin/tapflow.js load --devices 10000 --events 300000 --no-baseline --sim-heap-mb 384',
  '10,000 devices, each with its own MQTT session, in one sim process under 500 MB RSS',
  { devices: 10_000, events: 300_000, baseline: false, simHeapMb: 384 },
)
