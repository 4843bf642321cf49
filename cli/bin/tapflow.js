#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so there is no separate build step.
import { register } from 'tsx/esm/api'

// `tapflow fleet ls | head -4`: the reader went away, which is not an error of ours. Exit quietly.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0)
  throw err
})

register()
await import('../main.ts')
