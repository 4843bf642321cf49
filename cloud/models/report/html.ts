import type { ClassifierEvaluation, RegressorEvaluation } from '../evaluate.js'
import { bestBaseline, type EvaluationReport } from './report.js'
import { barChart, confusionChart, esc, fmt, histogram, timeline, unitLineChart } from './svg.js'

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1100px;color:#111827;padding:0 16px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #e5e7eb;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}
th{background:#f9fafb}.muted{color:#6b7280}.grid{display:flex;flex-wrap:wrap;gap:16px}.card{border:1px solid #e5e7eb;border-radius:6px;padding:8px}
.card p{max-width:380px}.note{background:#fef3c7;border-left:3px solid #d97706;padding:6px 10px;margin:4px 0}code{background:#f3f4f6;padding:0 3px}`

const table = (head: string[], rows: (string | number)[][]): string =>
  `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>` +
  rows.map((r) => `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`).join('') + '</tbody></table>'

const hours = (v: number | null): string => (v === null ? '—' : `${v.toFixed(1)} h`)

function classifierSection(e: ClassifierEvaluation): string {
  const prevalence = e.baselines.find((b) => b.name === 'prevalence')?.prAuc ?? 0
  const base = e.baselines.map((b) => [b.name, fmt(b.prAuc), fmt(b.precision), fmt(b.recall), fmt(b.f1)])
  let s = `<h3 id="target-${esc(e.target)}">${esc(e.target)}</h3>` +
    table(['', 'PR-AUC', 'precision', 'recall', 'F1'], [['model (test)', fmt(e.test.prAuc), fmt(e.test.precision), fmt(e.test.recall), fmt(e.test.f1)], ...base]) +
    `<p class="muted">Threshold ${fmt(e.threshold.threshold, 4)} chosen on validation (rule <code>${esc(e.threshold.rule)}</code>: validation precision ` +
    `${fmt(e.threshold.validation.precision)}, recall ${fmt(e.threshold.validation.recall)}). Rows: validation ${e.rows.validation.toLocaleString('en-US')} ` +
    `(${e.positives.validation} positive), test ${e.rows.test.toLocaleString('en-US')} (${e.positives.test} positive).</p><div class="grid">`
  s += `<div class="card">${unitLineChart({
    kind: 'pr-curve', title: `${e.target}: precision–recall on test`, xLabel: 'recall', yLabel: 'precision',
    series: [{ name: 'model', points: e.prCurve.map((p) => [p.recall, p.precision]) }],
    mark: { x: e.test.recall, y: e.test.precision, label: `threshold ${fmt(e.threshold.threshold, 3)}` },
    reference: { y: prevalence, label: `prevalence ${fmt(prevalence)}` },
  })}</div>`
  s += `<div class="card">${confusionChart({ kind: 'confusion', title: `${e.target}: confusion on test`, ...e.test.confusion })}</div>`
  const lt = e.leadTime
  if (lt !== undefined) {
    s += `<div class="card">${histogram({ kind: 'lead-time', title: `${e.target}: lead time`, xLabel: 'hours from first alert to failure', values: lt.hours, binWidth: lt.maxLeadHours <= 48 ? 2 : 6, max: lt.maxLeadHours })}` +
      `<p class="muted">${lt.caught} of ${lt.failures} failures caught, ${lt.missed} missed; median ${hours(lt.median)}, p10 ${hours(lt.p10)}, p90 ${hours(lt.p90)}; ` +
      `alerts up to ${lt.maxLeadHours} h ahead count; failure times from ${esc(lt.failureTimes)}.</p></div>`
  }
  const top = e.importance.values.slice(0, 15)
  s += `<div class="card">${barChart({ kind: 'importance', title: `${e.target}: feature importance (${e.importance.method})`, bars: top.map((v) => ({ label: v.feature, value: v.importance })) })}` +
    `<p class="muted">${e.importance.method === 'gain' ? 'share of total split gain' : 'drop in validation PR-AUC when the feature is shuffled'}</p></div>`
  return s + '</div>'
}

function regressorSection(e: RegressorEvaluation): string {
  return `<h3 id="target-${esc(e.target)}">${esc(e.target)}</h3>` +
    table(['', 'MAE', 'MAPE', 'WAPE'], [
      ['model (test)', fmt(e.test.mae), fmt(e.test.mape), fmt(e.test.wape)],
      [`baseline: ${e.baseline.name}`, fmt(e.baseline.mae), fmt(e.baseline.mape), fmt(e.baseline.wape)],
    ]) +
    `<p class="muted">${e.rows.test.toLocaleString('en-US')} test rows; MAPE over the ${e.mapeRows.toLocaleString('en-US')} with a non-zero actual. MAE ratio to baseline ${fmt(e.maeRatio)}.</p>` +
    `<div class="card">${barChart({ kind: 'mae', title: `${e.target}: MAE, model and baseline`, bars: [{ label: 'model', value: e.test.mae }, { label: e.baseline.name, value: e.baseline.mae }] })}</div>`
}

/** The report as one HTML file: inline CSS and SVG, no script, nothing fetched. */
export function renderReportHtml(r: EvaluationReport): string {
  const title = `${r.model}${r.version === null ? '' : ` v${r.version}`}: evaluation report`
  const d = r.dataset
  const spans = d.split.flatMap((s) => (s.from === null || s.to === null ? [] : [{ label: s.split, from: Date.parse(s.from), to: Date.parse(s.to) }]))
  const classifiers = r.evaluations.filter((e): e is ClassifierEvaluation => e.kind === 'classifier')
  let body = `<h1>${esc(title)}</h1><p class="muted">Created ${esc(r.createdAt)} · code ${esc(r.codeVersion)} · trained in ${r.training.seconds.toFixed(1)} s</p>`
  if (r.notes.length > 0) body += `<h2>Findings</h2>${r.notes.map((n) => `<div class="note">${esc(n)}</div>`).join('')}`
  if (classifiers.length > 0) {
    body += '<h2>Summary</h2>' + table(['target', 'PR-AUC', 'precision', 'recall', 'F1', 'best baseline PR-AUC', 'median lead', 'missed'],
      classifiers.map((e) => [e.target, fmt(e.test.prAuc), fmt(e.test.precision), fmt(e.test.recall), fmt(e.test.f1), fmt(bestBaseline(e)),
        hours(e.leadTime?.median ?? null), e.leadTime === undefined ? '—' : `${e.leadTime.missed}/${e.leadTime.failures}`]))
  }
  body += `<h2>Data and split</h2><p>Dataset <code>${esc(d.name)}</code>: ${d.rows.toLocaleString('en-US')} rows × ${d.features} features from ${esc(d.window.source)}, ` +
    `${esc(d.window.from)} … ${esc(d.window.to)}${d.horizonHours === null ? '' : `; label horizon ${d.horizonHours} h`}. A time split: train on the earliest days, ` +
    'then validation (thresholds, early stopping), then test (every number below).</p>' +
    table(['split', 'rows', 'entities', 'from', 'to'], d.split.map((s) => [s.split, s.rows.toLocaleString('en-US'), s.entities, s.from ?? '—', s.to ?? '—'])) +
    (spans.length > 0 ? timeline({ kind: 'split', title: 'train, validation and test windows', spans }) : '') +
    (d.featureViews.length > 0 ? `<p class="muted">Feature views: ${d.featureViews.map((v) => `${esc(v.name)} v${v.version}`).join(', ')}</p>` : '')
  body += '<h2>Per target</h2>' + r.evaluations.map((e) => (e.kind === 'classifier' ? classifierSection(e) : regressorSection(e))).join('')
  if (r.sklearn !== null && r.sklearn.results.length > 0) {
    body += `<h2>scikit-learn comparison</h2><p class="muted">HistGradientBoostingClassifier on the same exported dataset and split (${esc(r.sklearn.file)}).</p>` +
      table(['target', 'sklearn PR-AUC', 'ours PR-AUC', 'sklearn train s', 'ours train s'],
        r.sklearn.results.map((x) => [x.target, fmt(x.prAuc), fmt(x.oursPrAuc), fmt(x.trainSeconds, 2), fmt(x.oursTrainSeconds, 2)])) +
      barChart({ kind: 'sklearn', title: 'PR-AUC: scikit-learn and ours', bars: r.sklearn.results.flatMap((x) => [{ label: `${x.target} sklearn`, value: x.prAuc }, ...(x.oursPrAuc === null ? [] : [{ label: `${x.target} ours`, value: x.oursPrAuc }])]) })
  }
  body += `<h2>Training parameters</h2><pre>${esc(JSON.stringify(r.training.params, null, 2))}</pre>`
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${esc(title)}</title><style>${CSS}</style></head><body>${body}</body></html>\n`
}
