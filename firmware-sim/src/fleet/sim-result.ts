import type { Simulator } from './simulator.js'
import type { TransportStats } from './transport.js'

// Defined in common (light) so `tapflow sim --help` shows it without loading the simulator.
export { SAMPLE_EVERY } from '../../../common/index.js'

/** What a finished `tapflow sim --result` run reports; `tapflow load` reads it back. */
export interface SimResult {
  stats: TransportStats
  frames: Record<string, number>
  /** Last seq each device used: the sender's side of the accounting. */
  lastSeq: Record<string, number>
  /** [device_id, seq, wall-clock publish time in ms] for the sampled seqs. */
  samples: [string, number, number][]
  cpuSeconds: number
  /** Of `cpuSeconds`, what went before the first frame: loading the code, building the fleet, connecting. */
  startupCpuSeconds: number
  peakRssMb: number
}

export function simResult(sim: Simulator, stats: TransportStats, samples: [string, number, number][], startupCpu: NodeJS.CpuUsage): SimResult {
  const cpu = process.cpuUsage()
  return {
    stats: { ...stats },
    frames: { ...sim.stats.frames },
    lastSeq: Object.fromEntries(sim.devices.map((d) => [d.deviceId, d.lastSeq])),
    samples,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    startupCpuSeconds: (startupCpu.user + startupCpu.system) / 1e6,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  }
}
