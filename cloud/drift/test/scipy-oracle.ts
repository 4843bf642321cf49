import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

/** Debian's python with python3-scipy: a reference implementation none of our code is in. */
export const PYTHON = '/usr/bin/python3'

/** Whether the oracle can run; under CI=true a missing scipy is a failure (the caller throws), never a skip. */
export function scipyAvailable(): boolean {
  if (!existsSync(PYTHON)) return false
  return spawnSync(PYTHON, ['-c', 'import scipy, numpy'], { encoding: 'utf8' }).status === 0
}

/** Runs `script` with `input` as JSON on stdin; the script prints one JSON document. */
export function runPython<T>(script: string, input: unknown): T {
  const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`)
  // Python's json writes Infinity and NaN bare.
  const text = r.stdout.replace(/-?Infinity|NaN/g, (m) => `"${m}"`)
  return JSON.parse(text, (_k, v: unknown) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v === 'NaN' ? NaN : v)) as T
}

/** A small deterministic generator (mulberry32) for fixed samples. */
export function rng(seed: number): { next(): number; normal(): number } {
  let s = seed >>> 0
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { next, normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()) }
}
