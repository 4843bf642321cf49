import { benchLoad } from './load-scenario.js'

await benchLoad(
  'load-batch10',
  'node cli/bin/tapflow.js load --devices 2000 --events 1000000 --batch 10',
  '1,000,000 frames with --batch 10 land with zero loss in ≤ 10 s of wall time (≥ 100K frames/s)',
  { devices: 2000, events: 1_000_000, batch: 10 },
)
