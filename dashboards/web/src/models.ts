import { badge, esc, fmtNum, fmtTime, pollInto, table, tile, type View } from './util.js'
import type { DriftSummary, LiveModeRow, ModeComparison, ModelCard, ModelComparison, ModelsView, WindowScore } from '../../src/models-panel.js'

const REFRESH_MS = 5_000

const pct = (x: number | null): string => (x === null ? '—' : `${fmtNum(x * 100, 1)} %`)
const lead = (m: LiveModeRow): string => (m.leadHours === null ? '—' : `${fmtNum(m.leadHours.median, 1)} h <span class="muted">(${fmtNum(m.leadHours.min, 1)}–${fmtNum(m.leadHours.max, 1)})</span>`)

/** A registry version's headline metric per target (PR-AUC, precision and recall at its threshold, median lead). */
function card(title: string, c: ModelCard | null): string {
  if (c === null) return `<div class="panel"><h2>${esc(title)}</h2><p class="muted">none registered</p></div>`
  const rows = Object.entries(c.metrics).map(([target, m]) => {
    const x = (m ?? {}) as Record<string, number | string | null | undefined>
    const n = (k: string): string => (typeof x[k] === 'number' ? fmtNum(x[k], 3) : '—')
    return [esc(target), n('pr_auc'), n('precision'), n('recall'), n('threshold'), typeof x.lead_median_h === 'number' ? `${fmtNum(x.lead_median_h, 1)} h` : '—']
  })
  return `<div class="panel"><h2>${esc(title)} <span class="muted">${esc(c.name)}@${c.version}, ${esc(c.createdAt.slice(0, 16).replace('T', ' '))}</span></h2>
    <div class="scroll">${table([{ h: 'target' }, { h: 'PR-AUC', num: true }, { h: 'precision', num: true }, { h: 'recall', num: true }, { h: 'threshold', num: true }, { h: 'lead median', num: true }], rows)}</div></div>`
}

function drift(d: DriftSummary | null): string {
  if (d === null) return '<div class="panel"><h2>Drift</h2><p class="muted">No drift report yet: <code>tapflow models drift</code> writes one.</p></div>'
  return `<div class="panel"><h2>Drift <span class="muted">${esc(d.generatedAt.slice(0, 16).replace('T', ' '))}</span></h2>
    <p>${badge(d.datasetDrift ? 'fault' : 'ok', d.datasetDrift ? 'dataset drift' : 'no dataset drift')} ${fmtNum(d.drifted)} of ${fmtNum(d.columns)} features drifted (${pct(d.share)}).
    <a href="${esc(d.url)}" target="_blank" rel="noopener">Open the report</a></p>
    ${d.driftedColumns.length === 0 ? '' : `<p class="muted">Drifted: ${d.driftedColumns.map((c) => `<code>${esc(c)}</code>`).join(' ')}</p>`}</div>`
}

type Metric = 'prAuc' | 'precision' | 'recall'

/** One metric of both models; the higher one (when both exist and differ) in bold with a ★. */
function pair(m: ModeComparison, k: Metric, challenger: boolean): string[] {
  const a = m.champion?.[k] ?? null
  const b = m.challenger?.[k] ?? null
  const cell = (x: number | null, other: number | null, s: WindowScore | null): string => {
    if (s === null) return '<span class="muted" title="not scored by this model">n/a</span>'
    if (x === null) return `<span class="muted" title="${m.positives === 0 ? 'no positives in the window' : 'flagged no row'}">—</span>`
    // Float noise (1 + 1e-16 against 1) is no win.
    return other !== null && x - other > 1e-9 ? `<strong>${fmtNum(x, 3)} ★</strong>` : fmtNum(x, 3)
  }
  return challenger ? [cell(a, b, m.champion), cell(b, a, m.challenger)] : [cell(a, null, m.champion)]
}

/** Champion and challenger scored on the latest live window, labelled from ground truth (tapflow up, after each drift check). */
function comparison(c: ModelComparison | null): string {
  const title = 'Challenger vs champion on the latest window'
  if (c === null) return `<div class="panel" id="models-compare"><h2>${title}</h2><p class="muted">No comparison yet: <code>tapflow up</code> scores both after each simulated day's drift check; <code>tapflow models compare</code> prints one.</p></div>`
  const both = c.challenger !== null
  const who = (name: string): { h: string; num: boolean }[] => (both ? [{ h: `${name} champion`, num: true }, { h: `${name} challenger`, num: true }] : [{ h: name, num: true }])
  const rows = [...c.modes, c.overall].map((m) => [
    `${m === c.overall ? '<strong>all</strong> <span class="muted">(modes both score, pooled)</span>' : esc(m.mode)}${m.positives === 0 ? ' <span class="muted">(no positives in the window)</span>' : ''}`, fmtNum(m.rows), fmtNum(m.positives),
    ...pair(m, 'prAuc', both), ...pair(m, 'precision', both), ...pair(m, 'recall', both),
  ])
  const models = `champion <code>${esc(c.champion.ref)}</code> ` + (c.challenger === null
    ? '· <strong>no challenger yet</strong> <span class="muted">(drift beyond the rule retrains one)</span>'
    : `against challenger <code>${esc(c.challenger.ref)}</code> <span class="muted">· nothing is promoted automatically: <code>tapflow models promote maintenance@challenger</code></span>`)
  return `<div class="panel" id="models-compare"><h2>${title} <span class="muted">${fmtTime(c.window.from, true)} → ${fmtTime(c.window.to, true)}</span></h2>
    <p>${models}</p>
    <p class="muted">${fmtNum(c.entities)} taps sampled every ${fmtNum(c.window.everyMs / 3_600_000, 1)} h, ${fmtNum(c.rows)} rows, labelled from ground truth (a failure within ${fmtNum(c.horizonHours, 0)} h is positive); precision and recall at each model's own threshold, ★ the better.</p>
    <div class="scroll">${table([{ h: 'mode' }, { h: 'rows', num: true }, { h: 'positives', num: true }, ...who('PR-AUC'), ...who('precision'), ...who('recall')], rows)}</div></div>`
}

function render(s: ModelsView): string {
  const t = s.live?.total
  const sc = s.scoring
  const tiles = [
    tile('Live scoring', badge(sc.state === 'running' ? 'ok' : 'waiting', sc.state === 'running' ? 'running' : sc.state === 'no-champion' ? 'no champion' : 'off')),
    tile('Open alerts', fmtNum(s.openAlerts.length)),
    tile('Precision so far', pct(t?.precision ?? null)),
    tile('Recall so far', pct(t?.recall ?? null)),
    tile('Caught / missed', t === undefined ? '—' : `${fmtNum(t.caught + t.prevented)} / ${fmtNum(t.missed)}`),
    tile('Last round', sc.lastRound === null ? '—' : `${fmtTime(sc.lastRound.at, true)} <span class="muted">${fmtNum(sc.lastRound.devices)} taps, ${fmtNum(sc.lastRound.ms)} ms</span>`),
  ].join('')
  const modes = s.live === null ? '<p class="muted">Nothing scored yet.</p>' : table(
    [{ h: 'mode' }, { h: 'caught', num: true }, { h: 'prevented', num: true }, { h: 'missed', num: true }, { h: 'pending', num: true }, { h: 'false alarms', num: true }, { h: 'precision', num: true }, { h: 'recall', num: true }, { h: 'lead median (min–max)', num: true }],
    [...s.live.modes, s.live.total].map((m) => [esc(m.mode), fmtNum(m.caught), fmtNum(m.prevented), fmtNum(m.missed), fmtNum(m.pending), fmtNum(m.falseAlarms), pct(m.precision), pct(m.recall), lead(m)]),
  )
  const alerts = table(
    [{ h: 'tap' }, { h: 'mode' }, { h: 'risk', num: true }, { h: 'opened' }, { h: 'expected failure' }, { h: 'ticket' }, { h: 'top features' }],
    s.openAlerts.map((a) => [
      `<a href="#/device/${encodeURIComponent(a.deviceId)}">${esc(a.deviceId)}</a>`, esc(a.mode), `${fmtNum(a.risk, 2)} <span class="muted">≥ ${fmtNum(a.threshold, 2)}</span>`,
      fmtTime(a.openedAt, true), fmtTime(a.expectedFailureAt, true), a.ticketId === '' ? '—' : `<code>${esc(a.ticketId)}</code>`,
      a.topFeatures.map((f) => `<code>${esc(f.feature)}</code> ${fmtNum(f.value, 2)}`).join(', '),
    ]),
    'no open alert',
  )
  return `<p class="muted">${esc(sc.note)}</p><div class="tiles">${tiles}</div>
    <div class="panel"><h2>Open alerts <span class="muted">each opened a proactive maintenance ticket</span></h2><div class="scroll">${alerts}</div></div>
    <div class="panel"><h2>Live against ground truth ${s.live === null ? '' : `<span class="muted">failures due ${fmtTime(s.live.from, true)} → ${fmtTime(s.live.asOf, true)}</span>`}</h2><div class="scroll">${modes}</div></div>
    ${comparison(s.comparison)}${card('Champion', s.champion)}${card('Challenger', s.challenger)}${drift(s.drift)}`
}

/** Models: champion and challenger, live scoring with precision and recall so far, open alerts, drift. */
export const modelsView: View = (root) => {
  root.innerHTML = '<h1>Models</h1><div id="models-body"><p class="muted">Loading…</p></div>'
  const body = root.querySelector<HTMLElement>('#models-body')!
  return pollInto<ModelsView>(body, 'models', render, REFRESH_MS)
}
