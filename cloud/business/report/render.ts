import { renderChart } from './charts.js'
import { esc } from './format.js'
import { headline, operations, pnl, type ReportModel, type Row } from './model.js'

function charts(r: ReportModel): Array<{ id: string; svg: string }> {
  const months = r.history.map((m) => m.month)
  return [
    { id: 'mrr', svg: renderChart({ title: 'MRR', categories: months, unit: '$', series: [{ name: 'MRR', data: r.history.map((m) => m.mrr) }] }) },
    { id: 'bridge', svg: renderChart({ title: 'MRR movements', categories: months, unit: '$', series: [
      { name: 'New', type: 'bar', stack: 'm', data: r.history.map((m) => m.newMrr) },
      { name: 'Expansion', type: 'bar', stack: 'm', data: r.history.map((m) => m.expansionMrr) },
      { name: 'Contraction', type: 'bar', stack: 'm', data: r.history.map((m) => -m.contractionMrr) },
      { name: 'Churn', type: 'bar', stack: 'm', data: r.history.map((m) => -m.churnedMrr) },
    ] }) },
    { id: 'pnl', svg: renderChart({ title: 'Revenue vs costs', categories: months, unit: '$', series: [
      { name: 'Revenue', type: 'bar', data: r.history.map((m) => m.revenue) },
      { name: 'Costs', type: 'bar', data: r.history.map((m) => m.infrastructure + m.marketing + m.otherExpenses + m.salaries) },
      { name: 'Net burn', type: 'line', data: r.history.map((m) => m.burn) },
    ] }) },
    { id: 'engagement', svg: renderChart({ title: `Engagement, ${r.month}`, categories: r.daily.map((d) => d.day.slice(5)), series: [
      { name: 'DAU', data: r.daily.map((d) => d.dau) }, { name: 'WAU', data: r.daily.map((d) => d.wau) },
    ] }) },
  ]
}

function mdTable(rows: Row[]): string {
  return ['| Metric | Value |', '|---|---:|', ...rows.map((x) => `| ${x.label} | ${x.value} |`)].join('\n')
}

function title(r: ReportModel): string {
  return `${r.company} investor report — ${r.month}${r.metrics.complete ? '' : ` (month to date, through ${r.metrics.dataThrough})`}`
}

export function renderMarkdown(r: ReportModel): string {
  const dq = r.quality.map((q) => `| ${q.check} | ${q.pipeline} | ${q.status.toUpperCase()} | ${q.message} |`)
  return [
    `# ${title(r)}`, '',
    `Simulated business data. Generated for simulated day ${r.generatedFor}. Charts are in \`report.html\`.`, '',
    '## Headline', '', mdTable(headline(r.metrics)), '',
    '## Profit and loss', '', mdTable(pnl(r.metrics)), '',
    '## Growth and engagement', '', mdTable(operations(r.metrics)), '',
    '## Trend', '', '| Month | MRR | New MRR | Churned MRR | NRR | Customers | Net burn |', '|---|---:|---:|---:|---:|---:|---:|',
    ...r.history.map((m) => `| ${m.month} | $${Math.round(m.mrr).toLocaleString('en-US')} | $${Math.round(m.newMrr).toLocaleString('en-US')} | $${Math.round(m.churnedMrr).toLocaleString('en-US')} | ${m.nrr === null ? 'n/a' : `${(m.nrr * 100).toFixed(1)}%`} | ${m.customers} | $${Math.round(m.burn).toLocaleString('en-US')} |`),
    '', '## Data quality', '', '| Check | Pipeline | Status | Detail |', '|---|---|---|---|', ...(dq.length ? dq : ['| (no checks run) | | | |']), '',
  ].join('\n')
}

export function renderHtml(r: ReportModel): string {
  const table = (rows: Row[]): string => `<table>${rows.map((x) => `<tr><th>${esc(x.label)}</th><td>${esc(x.value)}</td></tr>`).join('')}</table>`
  const dq = r.quality.map((q) => `<tr class="${q.status}"><td>${esc(q.check)}</td><td>${esc(q.pipeline)}</td><td>${q.status.toUpperCase()}</td><td>${esc(q.message)}</td></tr>`).join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title(r))}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1000px;margin:2em auto;color:#1f2937;padding:0 1em}
h1{font-size:1.5em}h2{margin-top:1.6em;border-bottom:1px solid #e5e7eb}
table{border-collapse:collapse;margin:.5em 0}th,td{padding:.3em .8em;border-bottom:1px solid #f3f4f6;text-align:left}
td{text-align:right}.dq td{text-align:left}.pass td:nth-child(3){color:#15803d}.warn td:nth-child(3){color:#b45309}.fail td:nth-child(3){color:#b91c1c;font-weight:600}
.grid{display:flex;flex-wrap:wrap;gap:2em}.chart{margin:1em 0}
</style></head><body>
<h1>${esc(title(r))}</h1>
<p>Simulated business data, generated for simulated day ${esc(r.generatedFor)}.</p>
<div class="grid"><div><h2>Headline</h2>${table(headline(r.metrics))}</div><div><h2>Profit and loss</h2>${table(pnl(r.metrics))}</div></div>
<h2>Growth and engagement</h2>${table(operations(r.metrics))}
${charts(r).map((c) => `<div class="chart" id="${c.id}">${c.svg}</div>`).join('\n')}
<h2>Data quality</h2><table class="dq"><tr><th>Check</th><th>Pipeline</th><th>Status</th><th>Detail</th></tr>${dq}</table>
</body></html>
`
}
