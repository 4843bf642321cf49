#!/usr/bin/env -S node --max-semi-space-size=64
// A 64 MiB young generation: with the default 16 MiB, the stack's servers (FeatureService, the gateway) scavenge every
// few dozen milliseconds for ~3 ms each, which is the whole p99 of a feature lookup (bench/features.bench.ts). The
// Makefile and the Dockerfile start node with the same flag.
// Runs the TypeScript CLI through tsx's loader, so there is no separate build step.
import { register } from 'tsx/esm/api'

// `tapflow fleet ls | head -4`: the reader went away, which is not an error of ours. Exit quietly.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0)
  throw err
})

register()
await import('../main.ts')
