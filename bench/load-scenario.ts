/** Shared by the load benchmarks: one `runLoad`, its report saved under reports/, one JSON line for bench/run.ts. */
import { join } from 'node:path'
import { runLoad, writeReport, type LoadOptions } from '../loadtest/index.js'

export async function benchLoad(name: string, command: string, target: string, opts: LoadOptions): Promise<void> {
  const r = await runLoad(opts)
  const files = writeReport(r, join('reports', `bench-${name}`))
  const sim = r.processes.filter((p) => p.name.startsWith('simulator'))
  console.log(JSON.stringify({
    name,
    command,
    target,
    headline: ['throughput_fps', 'ratio_to_baseline', 'cpu_us_per_frame', 'baseline_cpu_us_per_frame', 'lost', 'freshness_p99_ms', 'gateway_peak_rss_mb'],
    results: {
      devices: r.options.devices,
      frames_published: r.accounting.published,
      landed: r.accounting.landed,
      lost: r.accounting.lost,
      duplicates: r.accounting.duplicates,
      identity_holds: r.accounting.identityHolds,
      throughput_fps: r.throughput.overall_fps,
      sustained_median_fps: r.throughput.sustained_median_fps,
      wall_seconds: r.throughput.seconds,
      ...(r.baseline ? { baseline_fps: r.baseline.fps, ratio_to_baseline: r.baseline.ratio, baseline_sim_cpu_s: r.baseline.simCpuSeconds } : {}),
      freshness_p50_ms: Math.round(r.freshness.p50_ms),
      freshness_p99_ms: Math.round(r.freshness.p99_ms),
      freshness_max_ms: Math.round(r.freshness.max_ms),
      gateway_peak_rss_mb: r.processes[0]!.peakRssMb,
      sim_peak_rss_mb: Math.max(...sim.map((p) => p.peakRssMb)),
      sim_cpu_s: Number(sim.reduce((s, p) => s + p.cpuSeconds, 0).toFixed(1)),
      gateway_cpu_s: r.processes[0]!.cpuSeconds,
      // Where the CPU went, µs per frame (loadtest/src/threads.ts): the sum sets frames/s on a saturated machine.
      cpu_us_per_frame: r.cpuPerFrameUs.run.total,
      cpu_us_sim: r.cpuPerFrameUs.run.simulator,
      cpu_us_gateway_js: r.cpuPerFrameUs.run.javascript,
      cpu_us_node_threads: r.cpuPerFrameUs.run.nodeHelpers,
      cpu_us_chdb: r.cpuPerFrameUs.run.engine,
      ...(r.cpuPerFrameUs.baseline ? { baseline_cpu_us_per_frame: r.cpuPerFrameUs.baseline.total, baseline_cpu_us_sim: r.cpuPerFrameUs.baseline.simulator, baseline_cpu_us_broker: r.cpuPerFrameUs.baseline.process } : {}),
    },
    notes: `Full report: ${files.html}`,
  }))
}
