import { axis, chart } from './charts.js'
import { api, badge, esc, fmtNum, fmtTime, table, tile, type View } from './util.js'
import type { FunnelRow, GrowthData, ProductEvent } from '../../src/growth-panel.js'

const RANGES = ['1d', '7d', '30d', '90d']
const SPLITS = { source: 'source', campaign: 'campaign', channel: 'channel' } as const
const STREAM_ROWS = 60
/** The stream polls: product events arrive in capture batches, so a couple of seconds is as live as they get. */
const STREAM_MS = 2_000
const SOURCE_BADGE: Record<string, string> = { real: 'ok', simulated: 'waiting' }

const pct = (x: number | null): string => (x === null ? '—' : `${fmtNum(x * 100, x > 0 && x < 0.1 ? 1 : 0)}%`)
const sourceBadge = (s: string): string => badge(SOURCE_BADGE[s] ?? 'offline', s)

/**
 * Product analytics (tapflow.product_events): the funnel over the seed's taxonomy with conversion per step, split by
 * source, campaign or channel; daily active visitors; top pages; every event type; and the newest events as they land.
 */
export const growthView: View = (root) => {
  const saved = (k: string, d: string): string => sessionStorage.getItem(`growth-${k}`) ?? d
  const options = (list: readonly string[], chosen: string): string => list.map((r) => `<option${r === chosen ? ' selected' : ''}>${r}</option>`).join('')
  root.innerHTML = `
    <div class="toolbar"><h1 style="margin:0">Growth</h1><span style="flex:1"></span>
      <label class="muted">range <select id="growth-range">${options(RANGES, saved('range', '7d'))}</select></label>
      <label class="muted">source <select id="growth-source">${options(['all', 'real', 'simulated'], saved('source', 'all'))}</select></label>
      <label class="muted">split funnel by <select id="growth-split">${options(Object.keys(SPLITS), saved('split', 'source'))}</select></label></div>
    <p class="banner" id="growth-empty" hidden></p>
    <div class="tiles" id="growth-tiles"></div>
    <div class="grid2">
      <div class="panel"><h2 id="funnel-title">Funnel</h2><div class="chart" id="funnel-chart"></div></div>
      <div class="panel"><h2>Daily active visitors</h2><div class="chart" id="dau-chart"></div></div>
    </div>
    <div class="panel"><h2 id="split-title">Funnel by source</h2><div class="scroll" id="growth-split-table"></div></div>
    <div class="grid2">
      <div class="panel"><h2>Top pages</h2><div class="scroll" id="growth-pages"></div></div>
      <div class="panel"><h2>Events</h2><div class="scroll" id="growth-events"></div></div>
    </div>
    <div class="panel"><h2>Live event stream</h2><div class="scroll tall">
      <table id="growth-stream"><thead><tr><th>time</th><th>source</th><th>event</th><th>visitor</th><th>page</th><th>campaign</th><th>channel</th></tr></thead><tbody></tbody></table>
      <p class="muted" id="growth-stream-empty">Waiting for events…</p></div></div>`
  const sel = (id: string): HTMLSelectElement => root.querySelector<HTMLSelectElement>(`#growth-${id}`)!
  const [range, source, split] = [sel('range'), sel('source'), sel('split')]
  let last: GrowthData | undefined
  let loading = false

  const load = async (): Promise<void> => {
    // A long range over many events can take longer than the refresh period: never stack requests.
    if (loading) return
    loading = true
    try {
      last = await api<GrowthData>('growth', { range: range.value, source: source.value })
      render(root, last, split.value as keyof typeof SPLITS)
    } catch (err) {
      root.querySelector('#growth-tiles')!.innerHTML = `<p class="error">${esc((err as Error).message)}</p>`
    } finally {
      loading = false
    }
  }

  const seen = new Set<string>()
  const body = root.querySelector<HTMLTableSectionElement>('#growth-stream tbody')!
  let first = true
  const stream = async (): Promise<void> => {
    const events = await api<ProductEvent[]>('growth/events', { limit: '50', source: source.value }).catch(() => [])
    const fresh = events.filter((e) => !seen.has(e.uuid))
    for (const e of fresh) seen.add(e.uuid)
    if (seen.size > 5_000) seen.clear()
    if (fresh.length === 0) return
    root.querySelector('#growth-stream-empty')?.remove()
    body.insertAdjacentHTML('afterbegin', fresh.map((e) => `<tr class="${first ? '' : 'pour-new'}" data-uuid="${esc(e.uuid)}"><td>${fmtTime(e.timestamp, true)}</td>
      <td>${sourceBadge(e.source)}</td><td>${esc(e.event)}</td><td class="muted">${esc(e.distinctId.slice(0, 24))}</td><td>${esc(e.page || '—')}</td>
      <td>${esc(e.campaign || '—')}</td><td>${esc(e.channel || '—')}</td></tr>`).join(''))
    while (body.rows.length > STREAM_ROWS) body.deleteRow(-1)
    first = false
  }
  const restartStream = (): void => {
    seen.clear()
    body.innerHTML = ''
    first = true
    void stream()
  }

  for (const [name, s] of [['range', range], ['source', source], ['split', split]] as const) {
    s.addEventListener('change', () => {
      sessionStorage.setItem(`growth-${name}`, s.value)
      if (name === 'split' && last) render(root, last, split.value as keyof typeof SPLITS)
      else void load()
      if (name === 'source') restartStream()
    })
  }
  void load()
  void stream()
  const timers = [setInterval(() => void load(), 10_000), setInterval(() => void stream(), STREAM_MS)]
  return () => timers.forEach(clearInterval)
}

function render(root: HTMLElement, g: GrowthData, split: keyof typeof SPLITS): void {
  const empty = root.querySelector<HTMLElement>('#growth-empty')!
  empty.hidden = g.totals.events > 0
  empty.textContent = `No product events ${g.source === 'all' ? '' : `from ${g.source} visitors `}between ${fmtTime(g.from, true)} and ${fmtTime(g.to, true)} yet. ` +
    'Open the product website (tapflow up prints its URL) or wait for the simulated visitors: their events land in tapflow.product_events.'
  const steps = g.funnel.all.steps
  const lastStep = steps[steps.length - 1]!
  root.querySelector('#growth-tiles')!.innerHTML =
    tile('visitors', fmtNum(g.totals.visitors), 'growth-visitors') +
    tile('real visitors', fmtNum(g.totals.bySource.real.visitors)) +
    tile('simulated visitors', fmtNum(g.totals.bySource.simulated.visitors)) +
    tile('sessions', fmtNum(g.totals.sessions)) +
    tile('events', fmtNum(g.totals.events)) +
    tile(`visit → ${lastStep.step}`, pct(lastStep.fromStart)) +
    tile('range ends', `<span style="font-size:16px">${fmtTime(g.to, true)}</span>`)

  // Visitors reaching each step, stacked by source, labelled with the conversion from the previous step.
  const bySource = g.funnel.bySource
  root.querySelector('#funnel-title')!.textContent = `Funnel (steps in order within ${Math.round(g.funnel.windowS / 86_400)} days)`
  chart(root.querySelector<HTMLElement>('#funnel-chart')!, {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { ...axis.category(steps.map((s) => s.step)), axisLabel: { interval: 0, fontSize: 10 } },
    yAxis: axis.value('visitors'),
    series: bySource.map((r, i) => ({
      name: r.key, type: 'bar', stack: 'funnel', data: r.steps.map((s) => s.visitors),
      ...(i === bySource.length - 1 ? { label: { show: true, position: 'top' as const, color: '#8b98a5', formatter: (p: { dataIndex: number }) => pct(steps[p.dataIndex]?.fromPrevious ?? null) } } : {}),
    })),
  })
  chart(root.querySelector<HTMLElement>('#dau-chart')!, {
    tooltip: { trigger: 'axis' },
    xAxis: axis.time,
    yAxis: axis.value('visitors'),
    series: (['real', 'simulated'] as const).map((s) => ({ name: s, type: 'bar', stack: 'dau', data: g.daily.map((d) => [d.day, d[s]]) })),
  })

  const rows: FunnelRow[] = split === 'source' ? bySource : split === 'campaign' ? g.funnel.byCampaign : g.funnel.byChannel
  root.querySelector('#split-title')!.textContent = `Funnel by ${split}: visitors per step (conversion from the previous step)`
  root.querySelector('#growth-split-table')!.innerHTML = table(
    [{ h: split }, ...steps.map((s) => ({ h: s.step, num: true })), { h: 'overall', num: true }],
    [{ ...g.funnel.all, key: 'all' }, ...rows].map((r) => [
      r.key === 'all' ? '<b>all</b>' : split === 'source' ? sourceBadge(r.key) : esc(r.key),
      ...r.steps.map((s, i) => `${fmtNum(s.visitors)}${i > 0 ? ` <span class="muted">(${pct(s.fromPrevious)})</span>` : ''}`),
      pct(r.steps[r.steps.length - 1]!.fromStart),
    ]),
    'no visitors in this range',
  )
  root.querySelector('#growth-pages')!.innerHTML = table(
    [{ h: 'page' }, { h: 'visitors', num: true }, { h: 'real', num: true }, { h: 'simulated', num: true }, { h: 'page views', num: true }],
    g.pages.map((p) => [esc(p.page), fmtNum(p.visitors), fmtNum(p.real), fmtNum(p.simulated), fmtNum(p.views)]),
    'no page views in this range',
  )
  root.querySelector('#growth-events')!.innerHTML = table(
    [{ h: 'event' }, { h: 'kind' }, { h: 'real', num: true }, { h: 'simulated', num: true }, { h: 'visitors', num: true }],
    g.events.map((e) => [esc(e.event), `<span class="muted">${esc(e.kind)}</span>`, fmtNum(e.real), fmtNum(e.simulated), fmtNum(e.visitors)]),
    'no events in this range',
  )
}
