import { badge, esc, fmtNum, pollInto, table, tile, type View } from './util.js'
import { isLate, type PlatformStatus, type PlatformTable } from '../../src/platform-panel.js'
import { featuresSection } from './platform-features.js'

const REFRESH_MS = 5_000

const STATE_TEXT: Record<PlatformStatus['state'], string> = {
  off: 'off', waiting: 'waiting for the fleet', starting: 'first snapshot', following: 'following', failed: 'failed',
}

function fmtLag(s: number | null): string {
  if (s === null) return '—'
  if (s < 120) return `${s} s`
  if (s < 7200) return `${Math.round(s / 60)} min`
  if (s < 172_800) return `${fmtNum(s / 3600, 1)} h`
  return `${fmtNum(s / 86_400, 1)} d`
}

function freshness(t: PlatformTable): string {
  const lag = esc(fmtLag(t.lagSeconds))
  if (t.maxAgeHours === null) return `${lag} <span class="muted">no bound</span>`
  const late = isLate(t)
  return `${lag} ${badge(late ? 'fault' : 'ok', late ? `late, bound ${t.maxAgeHours} h` : `≤ ${t.maxAgeHours} h`)}`
}

function render(s: PlatformStatus): string {
  if (s.state === 'off') {
    return '<div class="panel"><p class="muted">This stack keeps no lake (<code>--no-lake</code>, no business, or a ClickHouse server). <code>tapflow lake sync</code> and <code>tapflow lake build</code> fill one by hand.</p></div>'
  }
  const run = s.lastRun
  const failing = run?.tests.filter((t) => t.failing > 0).length ?? 0
  const tiles = [
    tile('Lake', badge(s.state === 'following' ? 'ok' : s.state === 'failed' ? 'fault' : 'waiting', STATE_TEXT[s.state])),
    tile('Tables', fmtNum(s.tables.length)),
    tile('CDC changes', fmtNum(s.cdc?.changes ?? null)),
    tile('Last build', run === null ? '—' : badge(run.ok ? 'ok' : 'fault', run.ok ? 'passed' : 'failed')),
    tile('Tests failing', run === null ? '—' : fmtNum(failing)),
  ].join('')
  const tables = table(
    [{ h: 'table' }, { h: 'rows', num: true }, { h: 'files', num: true }, { h: 'snapshots', num: true }, { h: 'last snapshot' }, { h: 'at' }, { h: 'freshness lag' }],
    s.tables.map((t) => [
      `<code>${esc(t.table)}</code>`, fmtNum(t.rows), fmtNum(t.dataFiles), fmtNum(t.snapshots), `<code>${esc(t.lastSnapshotId ?? '—')}</code>`,
      esc(t.lastSnapshotAt ?? '—'), freshness(t),
    ]),
    s.state === 'following' ? 'reading the lake…' : 'the lake starts after the fleet’s first frame, with a snapshot of the business',
  )
  const runHead = run === null
    ? '<p class="muted">No model run yet: the models build once the lake follows, then after each simulated day’s business DAG.</p>'
    : `<p>Day <b>${esc(run.day)}</b>, finished ${esc(run.finishedAt.slice(0, 19).replace('T', ' '))} in ${fmtNum(run.ms / 1000, 1)} s: ${fmtNum(run.built)} models built, ${fmtNum(run.skipped)} skipped.</p>` +
      (run.error === null ? '' : `<p class="error">${esc(run.error.split('\n')[0])}</p>`)
  const tests = run === null ? '' : table(
    [{ h: 'test' }, { h: 'result' }, { h: 'failing rows', num: true }],
    [...run.tests].sort((a, b) => b.failing - a.failing).map((t) => [esc(t.test), badge(t.failing > 0 ? 'fault' : 'ok', t.failing > 0 ? 'fail' : 'pass'), fmtNum(t.failing)]),
    'no tests ran',
  )
  return `<div class="tiles">${tiles}</div>
    ${s.error === null ? '' : `<p class="error">${esc(s.error)}</p>`}
    <div class="panel"><h2>Lake tables <span class="muted">${esc(s.dir ?? '')}</span></h2><div class="scroll tall">${tables}</div></div>
    <div class="panel"><h2>Last model run</h2>${runHead}<div class="scroll">${tests}</div></div>`
}

/** The data platform: lake tables with rows, last snapshot and freshness, and the last model run with its tests. */
export const platformView: View = (root) => {
  // #platform-features is the feature store's view of materialization lag, refreshed on its own timer.
  root.innerHTML = `<h1>Data platform</h1><div id="platform-lake"><p class="muted">Loading…</p></div><section id="platform-features"></section>`
  const body = root.querySelector<HTMLElement>('#platform-lake')!
  const stopFeatures = featuresSection(root.querySelector<HTMLElement>('#platform-features')!)
  const stopLake = pollInto<PlatformStatus>(body, 'platform', render, REFRESH_MS)
  return () => {
    stopLake()
    stopFeatures()
  }
}
