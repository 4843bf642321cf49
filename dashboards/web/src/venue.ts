import { axis, chart } from './charts.js'
import { api, badge, esc, fmtNum, kegBar, table, tile, type View } from './util.js'
import type { VenueListRow } from '../../api.js'

interface VenueData {
  info: { venueId: string; name: string; customer: string; city: string; country: string; timeZone: string; type: string }
  account: { accountId: string; name: string; tier: string; mrr: number; health: number; openTickets: number; status: string } | null
  tickets: { ticketId: string; deviceId: string; kind: string; priority: string; opened: string }[]
  totals: { pours: number; litres: number; revenue: number; wastePct: number }
  byBeverage: { beverage: string; pours: number; litres: number; revenue: number; wastePct: number }[]
  byHour: { t: number; pours: number; litres: number; revenue: number }[]
  peakHours: { localHour: number; litresPerDay: number }[]
  peak: number[]
  kegs: { deviceId: string; lineId: number; beverage: string; kegSizeL: number; remainingL: number | null; pct: number | null; litresPerDay: number; litres24h: number; forecast: string; daysLeft: number | null; reorder: boolean }[]
  demand: { models: string[]; naive: boolean; next24hL: number }
  reorders: { beverage: string; kegs: number; kegSizeL: number; basis: string }[]
}


const RANGES = ['24h', '7d', '30d']
const hour = (h: number): string => `${String(h).padStart(2, '0')}:00`

/** What a bar owner sees: sales by beverage and hour, kegs with days until empty, waste and peak hours. */
export const venueView: View = (root, id) => {
  if (!id) return venuePicker(root)
  const range = sessionStorage.getItem('venue-range') ?? '7d'
  root.innerHTML = `
    <div class="toolbar"><h1 style="margin:0" id="venue-title">${esc(id)}</h1><span style="flex:1"></span>
      <label class="muted">range <select id="venue-range">${RANGES.map((r) => `<option${r === range ? ' selected' : ''}>${r}</option>`).join('')}</select></label></div>
    <div class="tiles" id="venue-account"></div>
    <div class="tiles" id="venue-tiles"></div>
    <div class="panel"><h2>Kegs</h2><div id="venue-kegs"></div></div>
    <div class="panel"><h2>Reorder suggestions <span class="muted" id="venue-demand-basis" style="font-size:12px"></span></h2><div id="venue-reorders"></div></div>
    <div class="grid2">
      <div class="panel"><h2>Revenue and volume by beverage</h2><div class="chart" id="bev-chart"></div></div>
      <div class="panel"><h2>Revenue and volume by hour</h2><div class="chart" id="hour-chart"></div></div>
    </div>
    <div class="grid2">
      <div class="panel"><h2>Peak hours (local time, litres per day)</h2><div class="chart" id="peak-chart"></div></div>
      <div class="panel"><h2>By beverage</h2><div class="scroll" id="venue-bev"></div></div>
    </div>`
  const sel = root.querySelector<HTMLSelectElement>('#venue-range')!
  const load = async (): Promise<void> => {
    let v: VenueData
    try {
      v = await api<VenueData>('venue', { id, range: sel.value })
    } catch (err) {
      root.querySelector('#venue-tiles')!.innerHTML = `<p class="error">${esc((err as Error).message)}</p>`
      return
    }
    root.querySelector('#venue-title')!.innerHTML = `${esc(v.info.name)} <span class="muted" style="font-size:14px">${esc(v.info.type)} · ${esc(v.info.city)} · ${esc(v.info.customer)}</span>`
    const a = v.account
    root.querySelector('#venue-account')!.innerHTML = a === null ? '' :
      tile('account', `${esc(a.accountId)} <span class="muted">${esc(a.name)}</span>`) +
      tile('tier', esc(a.tier || '—')) +
      tile('MRR', `$${fmtNum(a.mrr)}`) +
      tile('health', badge(a.health >= 0.8 ? 'ok' : a.health >= 0.5 ? 'warn' : 'fault', `${fmtNum(a.health * 100)} %`)) +
      tile('open tickets', v.tickets.length ? `<span style="color:var(--warn)" title="${esc(v.tickets.map((t) => `${t.ticketId} ${t.deviceId} ${t.kind}`).join('\n'))}">${a.openTickets}</span>` : String(a.openTickets)) +
      (a.status === 'churned' ? tile('status', badge('offline', 'churned')) : '')
    const reorders = v.reorders.reduce((s, r) => s + r.kegs, 0)
    root.querySelector('#venue-tiles')!.innerHTML =
      tile('revenue', `$${fmtNum(v.totals.revenue)}`) +
      tile('volume', `${fmtNum(v.totals.litres)} l`) +
      tile('pours', fmtNum(v.totals.pours)) +
      tile('waste', `${fmtNum(v.totals.wastePct, 1)} %`) +
      tile('peak hours', v.peak.length ? v.peak.map(hour).join(', ') : '—') +
      tile('kegs to reorder', reorders ? `<span style="color:var(--warn)">${reorders}</span>` : '0') +
      tile('next 24 h (forecast)', `${fmtNum(v.demand.next24hL, 1)} l`)
    root.querySelector('#venue-kegs')!.innerHTML = table(
      [{ h: 'line' }, { h: 'tap' }, { h: 'beverage' }, { h: 'level' }, { h: 'left (l)', num: true }, { h: 'keg (l)', num: true }, { h: 'l/day, last 7 d', num: true },
        { h: 'l, next 24 h', num: true }, { h: 'forecast' }, { h: 'days until empty', num: true }, { h: '' }],
      v.kegs.map((k) => [
        String(k.lineId),
        `<a href="#/device/${encodeURIComponent(k.deviceId)}">${esc(k.deviceId)}</a>`,
        esc(k.beverage),
        kegBar(k.pct),
        fmtNum(k.remainingL, 1),
        fmtNum(k.kegSizeL, 1),
        fmtNum(k.litresPerDay, 1),
        fmtNum(k.litres24h, 1),
        forecastLabel(k.forecast),
        k.daysLeft === null ? '—' : fmtNum(k.daysLeft, 1),
        k.reorder ? badge('warn', 'reorder now') : badge('ok', 'stocked'),
      ]),
    )
    // Demand: the model's version when there is one, else the naive pace, and said so.
    root.querySelector('#venue-demand-basis')!.textContent = `· ${v.demand.models.map((m) => (m === 'naive' ? 'naive (last 7 days\' pace)' : `model ${m}`)).join(' + ') || 'no kegs'}`
    root.querySelector('#venue-reorders')!.innerHTML = table(
      [{ h: 'beverage' }, { h: 'kegs to order', num: true }, { h: 'keg (l)', num: true }, { h: 'forecast' }],
      v.reorders.map((r) => [esc(r.beverage), String(r.kegs), fmtNum(r.kegSizeL, 1), r.basis.split(' + ').map(forecastLabel).join(' ')]),
      'nothing to order: every keg lasts the next 3 days',
    )
    const bevs = [...v.byBeverage].reverse()
    chart(root.querySelector<HTMLElement>('#bev-chart')!, {
      grid: { left: 130, right: 30, top: 30, bottom: 30 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      yAxis: axis.category(bevs.map((b) => b.beverage)),
      xAxis: [axis.value()],
      series: [
        { name: 'revenue ($)', type: 'bar', data: bevs.map((b) => b.revenue) },
        { name: 'litres', type: 'bar', data: bevs.map((b) => b.litres) },
      ],
    })
    chart(root.querySelector<HTMLElement>('#hour-chart')!, {
      xAxis: axis.time,
      yAxis: [axis.value('$'), axis.value('litres')],
      series: [
        { name: 'revenue ($)', type: 'bar', data: v.byHour.map((h) => [h.t, h.revenue]) },
        { name: 'litres', type: 'line', yAxisIndex: 1, showSymbol: false, data: v.byHour.map((h) => [h.t, h.litres]) },
      ],
    })
    const perHour = new Map(v.peakHours.map((h) => [h.localHour, h.litresPerDay]))
    chart(root.querySelector<HTMLElement>('#peak-chart')!, {
      xAxis: axis.category(Array.from({ length: 24 }, (_, h) => hour(h))),
      yAxis: axis.value('l/day'),
      series: [{ name: 'litres per day', type: 'bar', data: Array.from({ length: 24 }, (_, h) => ({ value: perHour.get(h) ?? 0, itemStyle: v.peak.includes(h) ? { color: '#f0b429' } : { color: '#58a6ff' } })) }],
    })
    root.querySelector('#venue-bev')!.innerHTML = table(
      [{ h: 'beverage' }, { h: 'pours', num: true }, { h: 'litres', num: true }, { h: 'revenue $', num: true }, { h: 'waste %', num: true }],
      v.byBeverage.map((b) => [esc(b.beverage), fmtNum(b.pours), fmtNum(b.litres, 1), fmtNum(b.revenue, 2), fmtNum(b.wastePct, 1)]),
      'no pours in this range',
    )
  }
  sel.addEventListener('change', () => {
    sessionStorage.setItem('venue-range', sel.value)
    void load()
  })
  void load()
  // Kegs empty as the taps pour: keep the numbers moving.
  const timer = setInterval(() => void load(), 5_000)
  return () => clearInterval(timer)
}

/** A forecast's source: a model version, or the naive pace (labelled as such). */
function forecastLabel(model: string): string {
  return model === 'naive' ? badge('warn', 'naive') : badge('ok', model)
}

function venuePicker(root: HTMLElement): void {
  root.innerHTML = `<h1>Venues</h1><div class="toolbar"><input type="search" id="venue-q" placeholder="Search venue or city…"><span class="muted">busiest first: open one to watch its kegs empty</span></div><div class="panel"><div id="venue-list" class="scroll" style="max-height:calc(100vh - 220px)"></div></div>`
  const q = root.querySelector<HTMLInputElement>('#venue-q')!
  let all: VenueListRow[] = []
  const render = (): void => {
    const t = q.value.trim().toLowerCase()
    const shown = all.filter((v) => `${v.venueId} ${v.name} ${v.city} ${v.type}`.toLowerCase().includes(t)).slice(0, 500)
    root.querySelector('#venue-list')!.innerHTML = table(
      [{ h: 'venue' }, { h: 'name' }, { h: 'type' }, { h: 'city' }, { h: 'taps', num: true }, { h: 'litres, last hour', num: true }],
      shown.map((v) => [`<a href="#/venue/${encodeURIComponent(v.venueId)}">${esc(v.venueId)}</a>`, esc(v.name), esc(v.type), esc(v.city), String(v.devices), fmtNum(v.litresLastHour, 1)]),
      'no venues yet: start the stack with tapflow up',
    )
  }
  q.addEventListener('input', render)
  void api<VenueListRow[]>('venues').then((v) => {
    all = v
    render()
  })
}
