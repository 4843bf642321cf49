import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as echarts from 'echarts'
import type { CpuShares, LoadReport } from './run-load.js'

/** Writes report.json and a self-contained report.html (charts rendered to inline SVG, no CDN). */
export function writeReport(report: LoadReport, dir: string): { json: string; html: string } {
  mkdirSync(dir, { recursive: true })
  const json = join(dir, 'report.json')
  const html = join(dir, 'report.html')
  writeFileSync(json, JSON.stringify(report, null, 2) + '\n')
  writeFileSync(html, renderHtml(report))
  return { json, html }
}

function svg(option: echarts.EChartsOption, width = 860, height = 300): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height })
  chart.setOption({ animation: false, ...option })
  const out = chart.renderToSVGString()
  chart.dispose()
  return out
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 2 })

export function renderHtml(r: LoadReport): string {
  const a = r.accounting
  const throughput = svg({
    title: { text: 'Frames landed per second', left: 'center', textStyle: { fontSize: 14 } },
    grid: { left: 70, right: 20, top: 40, bottom: 40 },
    xAxis: { type: 'category', name: 's', data: r.throughput.perSecond.map((_, i) => String(i + 1)) },
    yAxis: { type: 'value', name: 'frames/s' },
    series: [
      { type: 'line', showSymbol: false, areaStyle: { opacity: 0.15 }, data: r.throughput.perSecond },
      ...(r.baseline ? [{ type: 'line' as const, showSymbol: false, lineStyle: { type: 'dashed' as const }, name: 'bare-broker baseline', data: r.throughput.perSecond.map(() => r.baseline!.fps) }] : []),
    ],
  })
  const hist = svg({
    title: { text: `Freshness: device publish → row visible (${fmt(r.freshness.samples)} samples)`, left: 'center', textStyle: { fontSize: 14 } },
    grid: { left: 70, right: 20, top: 40, bottom: 40 },
    xAxis: { type: 'category', name: 'ms ≤', data: r.freshness.buckets.map(([b]) => (Number.isFinite(b) ? String(b) : '∞')) },
    yAxis: { type: 'value', name: 'frames' },
    series: [{ type: 'bar', data: r.freshness.buckets.map(([, n]) => n) }],
  })
  const cpu = cpuChart(r)
  const ok = a.identityHolds && a.lost === 0
  const rows = (pairs: [string, string][]): string => pairs.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>TapFlow load report ${esc(r.startedAt)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px auto;max-width:900px;color:#1d2733}h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}th,td{padding:4px 12px;border-bottom:1px solid #e3e8ee;text-align:left}td{font-variant-numeric:tabular-nums}
.ok{color:#0a7d32;font-weight:600}.bad{color:#b42318;font-weight:600}</style></head><body>
<h1>TapFlow load report</h1>
<p>${esc(r.startedAt)} · ${fmt(r.options.devices)} devices · ${fmt(r.options.events)} frames · QoS ${r.options.qos} · batch ${r.options.batch} · speed ${esc(String(r.options.speed))} · ${esc(r.options.broker)} → ${esc(r.options.clickhouse)}</p>
<h2>Accounting <span class="${ok ? 'ok' : 'bad'}">${a.identityHolds ? 'identity holds' : 'IDENTITY BROKEN'}${a.lost === 0 ? ', zero loss' : `, ${fmt(a.lost)} lost`}</span></h2>
<table>${rows([
    ['published', fmt(a.published)], ['landed (distinct device_id, seq)', fmt(a.landed)], ['lost (seq gaps)', fmt(a.lost)],
    ['dead-lettered', fmt(a.deadLettered)], ['duplicates', fmt(a.duplicates)], ['devices with gaps', fmt(a.devicesWithGaps)],
    ['published = landed + lost + dead-lettered', a.identityHolds ? 'yes' : 'no'],
  ])}</table>
<h2>Throughput</h2>
<table>${rows([
    ['overall', `${fmt(r.throughput.overall_fps)} frames/s over ${fmt(r.throughput.seconds)} s`],
    ['sustained (5 s windows)', `median ${fmt(r.throughput.sustained_median_fps)}, min ${fmt(r.throughput.sustained_min_fps)} frames/s`],
    ...(r.baseline ? ([['bare-broker baseline', `${fmt(r.baseline.fps)} frames/s — ratio ${r.baseline.ratio} (simulator ${fmt(r.baseline.simCpuSeconds)} CPU s)`]] as [string, string][]) : []),
  ])}</table>
${throughput}
<h2>Freshness</h2>
<p>Time from a device handing a frame to MQTT to the insert that makes its row visible in ClickHouse, for every 100th seq.</p>
<table>${rows([['p50', `${fmt(r.freshness.p50_ms)} ms`], ['p95', `${fmt(r.freshness.p95_ms)} ms`], ['p99', `${fmt(r.freshness.p99_ms)} ms`], ['max', `${fmt(r.freshness.max_ms)} ms`]])}</table>
${hist}
<h2>Where the CPU went</h2>
<p>CPU per frame, every thread of every process, in µs. The simulator shares the machine with the path, so when the
cores are busy a run's frames/s is cores × 10⁶ ÷ its bar: the ratio to the baseline is the baseline's bar over this
run's. chDB's calls run on libuv's pool, so part of chDB's work shows under Node's threads. An external broker or
ClickHouse server is another process, whose CPU is not counted here.</p>
${cpu}
<h2>Processes</h2>
<table><tr><th>process</th><th>CPU s</th><th>peak RSS MB</th></tr>${r.processes.map((p) => `<tr><td>${esc(p.name)}</td><td>${fmt(p.cpuSeconds)}</td><td>${fmt(p.peakRssMb)}</td></tr>`).join('')}</table>
</body></html>
`
}

/** One bar per run (baseline, full path), stacked by who spent the CPU. */
function cpuChart(r: LoadReport): string {
  const c = r.cpuPerFrameUs
  const engine = r.options.clickhouse === 'embedded chDB' ? 'chDB threads' : 'other threads'
  const bars = [...(c.baseline ? [c.baseline] : []), c.run]
  const known = bars.every((b) => b.javascript !== undefined)
  const part = (name: string, of: (b: CpuShares) => number | undefined): [string, (number | null)[]] => [name, bars.map((b) => of(b) ?? null)]
  const parts = [
    part('simulator', (b) => b.simulator),
    ...(known
      ? [part('broker + gateway JavaScript', (b) => b.javascript), part("Node's threads: GC, libuv pool", (b) => b.nodeHelpers), part(engine, (b) => b.engine)]
      : [part('broker + gateway + ClickHouse', (b) => b.process)]),
  ]
  return svg({
    title: { text: 'CPU per frame (µs)', left: 'center', textStyle: { fontSize: 14 } },
    legend: { bottom: 0, itemGap: 28 },
    grid: { left: 150, right: 30, top: 40, bottom: 60 },
    xAxis: { type: 'value', name: 'µs' },
    yAxis: { type: 'category', data: [...(c.baseline ? ['bare-broker baseline'] : []), 'full path'] },
    series: parts.map(([name, data]) => ({ type: 'bar' as const, stack: 'cpu', name, data, label: { show: true, formatter: (p: { value: unknown }) => (typeof p.value === 'number' && p.value >= 1 ? String(p.value) : '') } })),
  }, 860, 220)
}
