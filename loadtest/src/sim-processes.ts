import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { TapflowError, errorMessage } from '../../common/index.js'
import type { SimResult } from '../../firmware-sim/index.js'

export interface SimProcessOptions {
  brokerUrl: string
  devices: number
  seed: number
  /** Simulated start, ms. */
  start: number
  speed: number | 'max'
  qos: 0 | 1
  batch: number
  /** Frames for the whole fleet; split evenly across processes. */
  frames: number
  processes: number
  maxInFlight: number
  /** Sample the publish time of frames whose seq is a multiple of this. */
  sampleEvery: number
  /** V8 old-space cap for each simulator process, MB. Default: none (V8 decides). */
  heapMb?: number
  /** Directory for the result files. */
  dir: string
  tag: string
}

const CLI = fileURLToPath(new URL('../../cli/bin/tapflow.js', import.meta.url))

/** Runs the fleet as `tapflow sim` child processes (one shard each) and collects their results. */
export async function runSimProcesses(o: SimProcessOptions): Promise<SimResult[]> {
  const runs = Array.from({ length: o.processes }, (_, i) => {
    const result = join(o.dir, `sim-${o.tag}-${i}.json`)
    const frames = Math.floor(o.frames / o.processes) + (i < o.frames % o.processes ? 1 : 0)
    const args = [
      CLI, 'sim', '--broker', o.brokerUrl, '--devices', String(o.devices), '--seed', String(o.seed),
      '--shard', `${i}/${o.processes}`, '--speed', String(o.speed), '--start', new Date(o.start).toISOString(),
      '--qos', String(o.qos), '--batch', String(o.batch), '--max-frames', String(frames),
      '--max-in-flight', String(o.maxInFlight), '--sample-every', String(o.sampleEvery), '--result', result,
    ]
    return new Promise<SimResult>((resolve, reject) => {
      // A 64 MiB young generation, as `tapflow` itself starts with: the fleet allocates a few short-lived objects per
      // frame, and fewer, larger scavenges cost less CPU in total (what the old-space cap trades is the live set).
      const heap = ['--max-semi-space-size=64', ...(o.heapMb === undefined ? [] : [`--max-old-space-size=${o.heapMb}`])]
      const child = spawn(process.execPath, [...heap, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } })
      let stderr = ''
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
      child.once('error', reject)
      child.once('exit', (code) => {
        if (code !== 0) return reject(new TapflowError(`sim shard ${i}/${o.processes} exited with ${code}: ${stderr.trim()}`, 'LOAD'))
        try {
          resolve(JSON.parse(readFileSync(result, 'utf8')) as SimResult)
        } catch (err) {
          reject(new TapflowError(`sim shard ${i} wrote no result: ${errorMessage(err)}`, 'LOAD'))
        }
      })
    })
  })
  return Promise.all(runs)
}
