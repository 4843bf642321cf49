import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { systemClock, type Clock } from '../../common/index.js'
import type { ColumnDrift, Distribution, DriftResult } from './detect.js'

/** Where the two samples came from, for the report's header. */
export interface DriftReportMeta {
  /** e.g. `device features, 2026-11-20 → 2026-11-27 (feature store)`. */
  reference: string
  current: string
  /** Free text under the title, e.g. the data source. Default: none. */
  note?: string
}

export interface DriftReport extends DriftResult {
  generatedAt: string
  meta: DriftReportMeta
}

export interface WriteDriftReportOptions {
  result: DriftResult
  meta: DriftReportMeta
  /** Directory for drift-<ts>.json and .html; created if missing. Default: `reports`. */
  dir?: string
  clock?: Clock
}

/** Writes `drift-<ts>.json` and a self-contained `drift-<ts>.html` (inline SVG, no script, nothing fetched). */
export function writeDriftReport(o: WriteDriftReportOptions): { json: string; html: string; report: DriftReport } {
  const at = new Date((o.clock ?? systemClock).now())
  const report: DriftReport = { generatedAt: at.toISOString(), meta: o.meta, ...o.result }
  const dir = o.dir ?? 'reports'
  mkdirSync(dir, { recursive: true })
  const stamp = report.generatedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  const json = join(dir, `drift-${stamp}.json`)
  const html = join(dir, `drift-${stamp}.html`)
  writeFileSync(json, JSON.stringify(report, null, 2) + '\n')
  writeFileSync(html, renderDriftHtml(report))
  return { json, html, report }
}

/** One line per verdict, for the terminal. */
export function driftSummary(r: DriftResult): string {
  const lines = [
    `dataset drift: ${r.datasetDrift ? 'YES' : 'no'} (${r.drifted} of ${r.columns.length} columns drifted, ${pct(r.share)}; the rule is ≥ ${pct(r.driftShare)})`,
  ]
  if (r.prediction !== null) lines.push(`prediction drift (${r.prediction.column}): ${r.prediction.drifted ? 'YES' : 'no'} (${judged(r.prediction)})`)
  for (const c of r.columns.filter((x) => x.drifted)) lines.push(`  drifted: ${c.column}  ${judged(c)}`)
  for (const s of r.skipped) lines.push(`  skipped: ${s.column} (${s.reason})`)
  return lines.join('\n')
}

const pct = (x: number): string => `${Math.round(x * 1000) / 10} %`
const num = (x: number): string => (!Number.isFinite(x) ? String(x) : Math.abs(x) !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e6) ? x.toExponential(3) : String(Math.round(x * 1e4) / 1e4))

function judged(c: ColumnDrift): string {
  return `${c.testName} ${num(c.score)} ${c.pValue === null ? '≥' : '<'} ${c.threshold}${c.pValue !== null ? `, statistic ${num(c.statistic)}` : ''}`
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
const id = (s: string): string => `col-${s.replace(/[^A-Za-z0-9_-]/g, '_')}`

const REF = '#4c78a8'
const CUR = '#f58518'

export function renderDriftHtml(r: DriftReport): string {
  const verdict = r.datasetDrift ? 'Dataset drift detected' : 'No dataset drift'
  const rows = r.columns.map((c) => `<tr class="${c.drifted ? 'drift' : ''}"><td><a href="#${id(c.column)}">${esc(c.column)}</a>${c.prediction ? ' <span class="tag">prediction</span>' : ''}</td>
<td>${c.kind}</td><td>${esc(c.testName)}</td><td>${num(c.statistic)}</td><td>${c.pValue === null ? '—' : num(c.pValue)}</td>
<td>${c.pValue === null ? '≥' : '<'} ${c.threshold}</td><td class="verdict">${c.drifted ? 'Drift' : 'No drift'}</td></tr>`).join('\n')
  const skipped = r.skipped.length === 0 ? '' : `<p>Skipped: ${r.skipped.map((s) => `${esc(s.column)} (${esc(s.reason)})`).join('; ')}</p>`
  const prediction = r.prediction === null ? '' : `<p class="prediction">Prediction drift (<b>${esc(r.prediction.column)}</b>): <b>${r.prediction.drifted ? 'yes' : 'no'}</b>, ${esc(judged(r.prediction))}</p>`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>TapFlow drift report ${esc(r.generatedAt)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}.muted{color:#666}
.banner{padding:12px 16px;border-radius:6px;margin:16px 0;font-size:18px;font-weight:600}
.banner.drift{background:#fde2e1;color:#9b1c1c}.banner.ok{background:#e3f5e6;color:#1d6b2c}
table{border-collapse:collapse;width:100%;margin:12px 0}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e5e5e5}
tr.drift td.verdict{color:#9b1c1c;font-weight:600}td.verdict{color:#1d6b2c}
.card{border:1px solid #e5e5e5;border-radius:6px;padding:12px 16px;margin:16px 0}.card.drift{border-color:#e8a3a0}
.card h2{font-size:16px;margin:0 0 6px}.tag{font-size:11px;background:#eee;border-radius:3px;padding:1px 5px}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
</style></head><body>
<h1>Data drift report</h1>
<div class="muted">Generated ${esc(r.generatedAt)} · reference: ${esc(r.meta.reference)} (${r.referenceRows} rows) · current: ${esc(r.meta.current)} (${r.currentRows} rows)${r.meta.note === undefined ? '' : ` · ${esc(r.meta.note)}`}</div>
<div class="banner ${r.datasetDrift ? 'drift' : 'ok'}" id="verdict">${verdict}: ${r.drifted} of ${r.columns.length} columns drifted (${pct(r.share)}; the dataset drifts at ≥ ${pct(r.driftShare)})</div>
${prediction}
<p class="muted">Rules (Evidently's DataDriftPreset): up to 1,000 reference values, two-sample Kolmogorov–Smirnov for numeric columns,
chi-squared for categorical, Z-test for binary, drift at p &lt; threshold; above that, normed Wasserstein (W₁ / std of the
reference) for numeric and Jensen–Shannon distance for the rest, drift at distance ≥ threshold.</p>
<table><thead><tr><th>column</th><th>type</th><th>test</th><th>statistic</th><th>p-value</th><th>threshold</th><th>verdict</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${skipped}
<div class="legend"><span style="background:${REF}"></span>reference<span style="background:${CUR}"></span>current</div>
${r.columns.map(card).join('\n')}
</body></html>
`
}

function card(c: ColumnDrift): string {
  const s = (x: ColumnDrift['reference']): string =>
    `${x.count} values, ${x.missing} missing, ${x.unique} distinct${x.mean === undefined ? '' : `, mean ${num(x.mean)}, std ${num(x.std ?? NaN)}`}`
  return `<section class="card${c.drifted ? ' drift' : ''}" id="${id(c.column)}">
<h2>${esc(c.column)} — ${c.drifted ? 'drift' : 'no drift'}</h2>
<div class="muted">${esc(judged(c))} · ${c.kind}</div>
${chart(c.column, c.distribution)}
<div class="muted">reference: ${s(c.reference)}<br>current: ${s(c.current)}</div>
</section>`
}

const W = 720
const H = 220
const PAD = { l: 64, r: 24, t: 8, b: 24 }

/** Reference and current shares side by side per bin or category, as inline SVG. */
function chart(column: string, d: Distribution): string {
  const n = d.reference.length
  const max = Math.max(1e-12, ...d.reference, ...d.current)
  const iw = W - PAD.l - PAD.r
  const ih = H - PAD.t - PAD.b
  const slot = iw / Math.max(1, n)
  const bw = Math.max(1, slot * 0.42)
  const y = (v: number): number => PAD.t + ih - (v / max) * ih
  const bars: string[] = []
  for (let i = 0; i < n; i++) {
    const x0 = PAD.l + i * slot + slot * 0.08
    const label = d.kind === 'histogram' ? `${num(d.edges[i] as number)} – ${num(d.edges[i + 1] as number)}` : (d.labels[i] as string)
    for (const [k, v, color] of [[0, d.reference[i] as number, REF], [1, d.current[i] as number, CUR]] as const) {
      bars.push(`<rect x="${(x0 + k * bw).toFixed(1)}" y="${y(v).toFixed(1)}" width="${bw.toFixed(1)}" height="${(PAD.t + ih - y(v)).toFixed(1)}" fill="${color}"><title>${esc(label)}: ${k === 0 ? 'reference' : 'current'} ${num(v * 100)} %</title></rect>`)
    }
  }
  const xLabels = d.kind === 'histogram'
    ? [0, Math.floor(n / 2), n].map((i) => `<text x="${PAD.l + i * slot}" y="${H - PAD.b + 14}" text-anchor="${i === 0 ? 'start' : i === n ? 'end' : 'middle'}">${num(d.edges[i] as number)}</text>`).join('')
    : d.labels.map((l, i) => `<text x="${PAD.l + (i + 0.5) * slot}" y="${H - PAD.b + 14}" text-anchor="middle">${esc(l.length > 12 ? l.slice(0, 11) + '…' : l)}</text>`).join('')
  return `<svg class="chart" role="img" aria-label="${esc(column)}: reference and current distributions" viewBox="0 0 ${W} ${H}" width="100%" font-size="11" fill="#555">
<line x1="${PAD.l}" y1="${PAD.t + ih}" x2="${W - PAD.r}" y2="${PAD.t + ih}" stroke="#999"/>
<text x="${PAD.l - 6}" y="${PAD.t + 10}" text-anchor="end">${num(max * 100)} %</text><text x="${PAD.l - 6}" y="${PAD.t + ih}" text-anchor="end">0</text>
${bars.join('')}
${xLabels}
</svg>`
}
