import { use } from 'echarts/core'
import { MarkAreaComponent, MarkLineComponent } from 'echarts/components'
import { axis, chart } from './charts.js'
import { featureValues } from './platform-features.js'
import { api, badge, esc, fmtNum, fmtTime, table, tile, type View } from './util.js'
import type { DeviceAlert, DeviceRiskPanel } from '../../src/device-panel.js'

// Ground truth is drawn on the risk chart as marks.
use([MarkAreaComponent, MarkLineComponent])

interface DeviceData {
  info: { deviceId: string; venueId: string; venueName: string; lineId: number; beverageId: string; kegSizeMl: number; specFirmware: string } | null
  state: { venueId: string; lastSeen: number; lastPour: number; kegId: string; kegRemainingMl: number; lineTempC: number; firmware: string; rssiDbm: number; supplyVoltageV: number; errorCodes: number[]; rebootCount: number } | null
  series: { t: number; pours: number; volumeMl: number; tempAvgC: number | null; tempMaxC: number | null }[]
  pours: { ts: number; seq: number; volumeMl: number; wasteMl: number; kegRemainingMl: number; beverageTempC: number }[]
  health: { ts: number; firmware: string; rssiDbm: number; supplyVoltageV: number; errorCodes: number[]; rebootCount: number; uptimeS: number }[]
  faults: { ts: number; errorCodes: number[]; rebootCount: number; firmware: string }[]
  deadLetters: { receivedAt: number; topic: string; reason: string; detail: string }[]
  groundTruth: Record<string, unknown>[] | null
  tickets: { ticketId: string; accountId: string; venueId: string; kind: string; priority: string; status: string; opened: string; resolved: string | null }[]
  stepS: number
  from: number
  to: number
  risk: DeviceRiskPanel
}

export const RANGES = ['1h', '6h', '24h', '7d', '30d']

/** One tap: temperature and pour charts over a chosen range, firmware and health, faults, ground truth, dead letters. */
export const deviceView: View = (root, id) => {
  if (!id) {
    root.innerHTML = '<p class="muted">Pick a device on the <a href="#/fleet">fleet</a> page.</p>'
    return
  }
  const range = sessionStorage.getItem('device-range') ?? '24h'
  root.innerHTML = `
    <div class="toolbar"><h1 style="margin:0" id="device-title">${esc(id)}</h1><span style="flex:1"></span>
      <label class="muted">range <select id="device-range">${RANGES.map((r) => `<option${r === range ? ' selected' : ''}>${r}</option>`).join('')}</select></label></div>
    <div class="tiles" id="device-tiles"></div>
    <div class="grid2">
      <div class="panel"><h2>Temperature (°C)</h2><div class="chart" id="temp-chart"></div></div>
      <div class="panel"><h2>Pours</h2><div class="chart" id="pour-chart"></div></div>
    </div>
    <div class="grid2">
      <div class="panel"><h2>Failure risk by mode, with ground truth</h2><div class="chart" id="risk-chart"></div><p class="muted" id="risk-empty" hidden></p></div>
      <div class="panel"><h2 id="alert-title">Alert</h2><div id="alert-info"></div><div class="chart" id="contrib-chart" style="height:200px"></div></div>
    </div>
    <div class="panel"><h2>Predictive-maintenance alerts</h2><div class="scroll" id="device-alerts"></div></div>
    <div class="grid2">
      <div class="panel"><h2>Recent pours</h2><div class="scroll" id="device-pours"></div></div>
      <div class="panel"><h2>Firmware and health</h2><div class="scroll" id="device-health"></div></div>
    </div>
    <div class="grid2">
      <div class="panel"><h2>Fault history</h2><div class="scroll" id="device-faults"></div><h2 style="margin-top:12px">Support tickets</h2><div class="scroll" id="device-tickets"></div><h2 style="margin-top:12px">Ground truth</h2><div class="scroll" id="device-truth"></div></div>
      <div class="panel"><h2>Dead letters</h2><div class="scroll" id="device-dead"></div></div>
    </div>
    <div class="panel"><h2>Features (online store)</h2><div class="scroll" id="device-features"></div></div>`
  const sel = root.querySelector<HTMLSelectElement>('#device-range')!
  const load = async (): Promise<void> => {
    void featureValues(root.querySelector<HTMLElement>('#device-features')!, 'device', id)
    let d: DeviceData
    try {
      d = await api<DeviceData>('device', { id, range: sel.value })
    } catch (err) {
      root.querySelector('#device-tiles')!.innerHTML = `<p class="error">${esc((err as Error).message)}</p>`
      return
    }
    const s = d.state
    const errors = s?.errorCodes.length ? s.errorCodes.map((c) => `E${c}`).join(', ') : 'none'
    root.querySelector('#device-title')!.innerHTML =
      `${esc(id)} <span class="muted" style="font-size:14px">line ${d.info?.lineId ?? '?'} · ${esc(d.info?.beverageId.replace(/^bev-/, '') ?? '')} · ` +
      `<a href="#/venue/${encodeURIComponent(d.info?.venueId ?? s?.venueId ?? '')}">${esc(d.info?.venueName || d.info?.venueId || s?.venueId || '')}</a></span>`
    root.querySelector('#device-tiles')!.innerHTML =
      tile('firmware', esc(s?.firmware || d.info?.specFirmware || '—')) +
      tile('last seen', `<span style="font-size:16px">${fmtTime(s?.lastSeen, true)}</span>`) +
      tile('keg left', s && d.info && s.lastPour ? `${fmtNum(s.kegRemainingMl / 1000, 1)} / ${fmtNum(d.info.kegSizeMl / 1000, 1)} l` : '—') +
      tile('line temp', s ? `${fmtNum(s.lineTempC, 1)} °C` : '—') +
      tile('signal', s?.rssiDbm ? `${s.rssiDbm} dBm` : '—') +
      tile('supply', s?.supplyVoltageV ? `${fmtNum(s.supplyVoltageV, 2)} V` : '—') +
      tile('errors', s?.errorCodes.length ? badge('fault', errors) : badge('ok', 'none'))
    chart(root.querySelector<HTMLElement>('#temp-chart')!, {
      xAxis: axis.time,
      yAxis: { ...axis.value(), scale: true },
      series: [
        { name: 'average', type: 'line', showSymbol: false, data: d.series.filter((p) => p.tempAvgC !== null).map((p) => [p.t, p.tempAvgC]) },
        { name: 'max', type: 'line', showSymbol: false, data: d.series.filter((p) => p.tempMaxC !== null).map((p) => [p.t, p.tempMaxC]) },
      ],
    })
    chart(root.querySelector<HTMLElement>('#pour-chart')!, {
      xAxis: axis.time,
      yAxis: [axis.value('litres'), axis.value('pours')],
      series: [
        { name: `litres per ${d.stepS >= 3600 ? 'hour' : '5 min'}`, type: 'bar', data: d.series.map((p) => [p.t, Math.round(p.volumeMl) / 1000]) },
        { name: 'pours', type: 'line', yAxisIndex: 1, showSymbol: false, data: d.series.map((p) => [p.t, p.pours]) },
      ],
    })
    riskPanels(root, d)
    root.querySelector('#device-pours')!.innerHTML = table(
      [{ h: 'time' }, { h: 'seq', num: true }, { h: 'ml', num: true }, { h: 'waste ml', num: true }, { h: 'keg left ml', num: true }, { h: '°C', num: true }],
      d.pours.map((p) => [fmtTime(p.ts, true), String(p.seq), fmtNum(p.volumeMl), fmtNum(p.wasteMl), fmtNum(p.kegRemainingMl), fmtNum(p.beverageTempC, 1)]),
      'no pours in this range',
    )
    root.querySelector('#device-health')!.innerHTML = table(
      [{ h: 'time' }, { h: 'firmware' }, { h: 'dBm', num: true }, { h: 'V', num: true }, { h: 'errors' }, { h: 'reboots', num: true }, { h: 'uptime h', num: true }],
      d.health.map((h) => [fmtTime(h.ts, true), esc(h.firmware), String(h.rssiDbm), fmtNum(h.supplyVoltageV, 2), h.errorCodes.length ? badge('fault', h.errorCodes.map((c) => `E${c}`).join(',')) : '—', String(h.rebootCount), fmtNum(h.uptimeS / 3600, 1)]),
      'no health frames in this range',
    )
    root.querySelector('#device-faults')!.innerHTML = table(
      [{ h: 'time' }, { h: 'errors' }, { h: 'reboots', num: true }, { h: 'firmware' }],
      d.faults.map((f) => [fmtTime(f.ts, true), badge('fault', f.errorCodes.map((c) => `E${c}`).join(',') || 'reboot'), String(f.rebootCount), esc(f.firmware)]),
      'no faults reported',
    )
    const ticketLink = (id: string): string => `<span id="ticket-${esc(id)}" title="tapflow business sql &quot;SELECT * FROM support_tickets WHERE ticket_id = '${esc(id)}'&quot;">${esc(id)}</span>`
    root.querySelector('#device-tickets')!.innerHTML = table(
      [{ h: 'ticket' }, { h: 'fault' }, { h: 'priority' }, { h: 'status' }, { h: 'opened' }, { h: 'resolved' }, { h: 'account' }],
      d.tickets.map((t) => [ticketLink(t.ticketId), esc(t.kind), esc(t.priority), badge(t.status === 'open' ? 'warn' : 'ok', t.status), esc(t.opened), esc(t.resolved ?? '—'),
        `<a href="#/venue/${encodeURIComponent(t.venueId)}">${esc(t.accountId)}</a>`]),
      'no support tickets for this tap',
    )
    const gt = d.groundTruth
    const gtCols = gt && gt.length > 0 ? Object.keys(gt[0]!).filter((c) => c !== 'ticket') : []
    root.querySelector('#device-truth')!.innerHTML =
      gt === null
        ? '<p class="muted">no ground truth recorded in this deployment (tapflow.ground_truth does not exist)</p>'
        : table([...gtCols, 'ticket'].map((h) => ({ h })), gt.map((r) => [...gtCols.map((c) => esc(typeof r[c] === 'object' ? JSON.stringify(r[c]) : r[c])),
          typeof r.ticket === 'string' ? `<a data-ticket="${esc(r.ticket)}" style="cursor:pointer">${esc(r.ticket)}</a>` : '—']), 'no ground-truth events for this device')
    root.querySelector('#device-dead')!.innerHTML = table(
      [{ h: 'received' }, { h: 'reason' }, { h: 'detail' }, { h: 'topic' }],
      d.deadLetters.map((x) => [fmtTime(x.receivedAt, true), badge('fault', x.reason), esc(x.detail.slice(0, 120)), esc(x.topic)]),
      'no dead letters for this device',
    )
  }
  // A fault's ticket link jumps to that ticket in the table above (hash links belong to the router).
  root.addEventListener('click', (e) => {
    const t = (e.target as HTMLElement).closest<HTMLElement>('[data-ticket]')
    if (t?.dataset.ticket) root.querySelector(`#ticket-${CSS.escape(t.dataset.ticket)}`)?.scrollIntoView({ block: 'center' })
  })
  sel.addEventListener('change', () => {
    sessionStorage.setItem('device-range', sel.value)
    void load()
  })
  void load()
  const timer = setInterval(() => void load(), 15_000)
  return () => clearInterval(timer)
}

/** Risk over time per mode with each injected fault shaded from onset to failure, and the alert's top features. */
function riskPanels(root: HTMLElement, d: DeviceData): void {
  const { series, alerts, truth } = d.risk
  const empty = root.querySelector<HTMLElement>('#risk-empty')!
  empty.hidden = series.length > 0
  empty.textContent = 'No risk scores in this range: live scoring writes them (tapflow.predictions) while tapflow up runs.'
  // Upcoming failures (ground truth's, or the alert's expectation) widen the axis by up to half the range: the point
  // of an alert is that it comes before the failure.
  const open = alerts.find((a) => a.status !== 'resolved' && a.resolvedAt === null)
  const ahead = [...truth.map((g) => g.failure), open?.expectedFailureAt ?? null].filter((t): t is number => t !== null && t >= d.to && t <= d.to + (d.to - d.from) / 2)
  const end = Math.max(d.to, ...ahead.map((t) => t + (d.to - d.from) / 50))
  const inRange = (t: number | null): t is number => t !== null && t >= d.from && t < end
  const marks = truth.flatMap((g) => [
    ...(inRange(g.onset) ? [{ xAxis: g.onset, name: `onset ${g.mode}` }] : []),
    ...(inRange(g.failure) ? [{ xAxis: g.failure, name: `failure ${g.mode}` }] : []),
    ...(inRange(g.cleared) ? [{ xAxis: g.cleared, name: `cleared ${g.mode}` }] : []),
  ])
  if (open && inRange(open.expectedFailureAt)) marks.push({ xAxis: open.expectedFailureAt, name: 'expected failure (alert)' })
  const areas = truth
    .filter((g) => g.onset !== null && g.failure !== null && g.onset < end && g.failure > d.from)
    .map((g) => [{ xAxis: Math.max(g.onset!, d.from) }, { xAxis: Math.min(g.cleared ?? g.failure!, g.failure!, end) }])
  chart(root.querySelector<HTMLElement>('#risk-chart')!, {
    xAxis: { ...axis.time, min: d.from, max: end },
    yAxis: { ...axis.value('risk'), min: 0, max: 1 },
    series: [
      ...series.map((s) => ({ name: s.mode, type: 'line' as const, showSymbol: s.points.length < 3, data: s.points })),
      {
        // Ground truth as marks on an empty series, so it shows even before the first score.
        name: 'ground truth', type: 'line' as const, data: [], color: '#f85149',
        markLine: { symbol: 'none', label: { formatter: '{b}', color: '#ffa198', position: 'insideEndTop' as const }, lineStyle: { color: '#f85149', type: 'dashed' as const }, data: [
          ...marks,
          ...(open ? [{ yAxis: open.threshold, name: `alert threshold ${open.mode}`, lineStyle: { color: '#d29922' }, label: { color: '#d29922' } }] : []),
        ] },
        markArea: { itemStyle: { color: 'rgba(248,81,73,0.12)' }, data: areas as never },
      },
    ],
  })
  const shown = open ?? alerts[0]
  root.querySelector('#alert-title')!.textContent = shown ? `${open ? 'Open alert' : 'Latest alert (resolved)'}: ${shown.mode}` : 'Alert'
  root.querySelector('#alert-info')!.innerHTML = shown ? alertInfo(shown) : '<p class="muted">No predictive-maintenance alert for this tap.</p>'
  const contrib = root.querySelector<HTMLElement>('#contrib-chart')!
  contrib.hidden = !shown || shown.topFeatures.length === 0
  if (shown && shown.topFeatures.length > 0) {
    const f = [...shown.topFeatures].reverse() // largest at the top
    chart(contrib, {
      grid: { left: 170, right: 40, top: 10, bottom: 25 },
      legend: { show: false },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: axis.value('contribution'),
      yAxis: { ...axis.category(f.map((x) => `${x.feature} = ${typeof x.value === 'number' ? fmtNum(x.value, 2) : (x.value ?? '?')}`)) },
      series: [{ name: 'contribution', type: 'bar', data: f.map((x) => ({ value: x.contribution, itemStyle: { color: x.contribution >= 0 ? '#f85149' : '#3fb950' } })) }],
    })
  }
  root.querySelector('#device-alerts')!.innerHTML = table(
    [{ h: 'opened' }, { h: 'mode' }, { h: 'risk', num: true }, { h: 'threshold', num: true }, { h: 'status' }, { h: 'expected failure' }, { h: 'resolved' }, { h: 'ticket' }, { h: 'model' }],
    alerts.map((a) => [fmtTime(a.openedAt, true), esc(a.mode), fmtNum(a.risk * 100, 1) + '%', fmtNum(a.threshold * 100, 1) + '%',
      badge(a === open ? 'fault' : 'ok', a.status), fmtTime(a.expectedFailureAt, true), a.resolvedAt ? `${fmtTime(a.resolvedAt, true)} ${esc(a.resolution)}` : '—',
      esc(a.ticketId || '—'), `${esc(a.model)} v${a.version}`]),
    'no alerts for this tap',
  )
}

function alertInfo(a: DeviceAlert): string {
  return `<p>risk <b>${fmtNum(a.risk * 100, 1)}%</b> (threshold ${fmtNum(a.threshold * 100, 1)}%) · opened ${fmtTime(a.openedAt, true)}` +
    (a.expectedFailureAt ? ` · failure expected ${fmtTime(a.expectedFailureAt, true)}` : '') +
    (a.ticketId ? ` · ticket ${esc(a.ticketId)}` : '') + ` · ${esc(a.model)} v${a.version}</p>` +
    (a.topFeatures.length ? '<p class="muted">What drove the score (contribution of each feature, at its value):</p>' : '<p class="muted">no feature contributions recorded</p>')
}
