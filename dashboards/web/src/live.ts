import { axis, chart } from './charts.js'
import { api, esc, fmtNum, fmtTime, tile, type View } from './util.js'
import type { LivePour, LiveRates } from '../../api.js'



const MAX_ROWS = 60

/** New pours as they land (server-sent events) with frames/s and litres/min. */
export const liveView: View = (root) => {
  root.innerHTML = `
    <h1>Live pours</h1>
    <div class="tiles">${tile('frames / s', '—', 'rate-frames')}${tile('litres / min', '—', 'rate-litres')}${tile('pours in the last minute', '—', 'rate-pours')}${tile('pours seen here', '0', 'rate-seen')}</div>
    <div class="grid2">
      <div class="panel"><h2>LivePour stream</h2><div class="scroll" style="max-height:calc(100vh - 260px)">
        <table id="pours"><thead><tr><th>time</th><th>device</th><th>venue</th><th>beverage</th><th class="num">ml</th><th class="num">keg left (l)</th></tr></thead><tbody></tbody></table>
        <p class="muted" id="pours-empty">Waiting for pours…</p></div></div>
      <div class="panel"><h2>LiveRates</h2><div class="chart" id="rates-chart" style="height:360px"></div></div>
    </div>`
  const body = root.querySelector<HTMLTableSectionElement>('#pours tbody')!
  const ratesChart = chart(root.querySelector<HTMLElement>('#rates-chart')!, {
    xAxis: axis.time,
    yAxis: [axis.value('frames/s'), axis.value('litres/min')],
    series: [
      { name: 'frames/s', type: 'line', showSymbol: false, data: [] },
      { name: 'litres/min', type: 'line', yAxisIndex: 1, showSymbol: false, data: [] },
    ],
  })
  const history: { t: number; f: number; l: number }[] = []
  let seen = 0

  const keys = new Set<string>()
  const add = (all: LivePour[], flash: boolean): void => {
    // The first stream event can repeat pours the snapshot already showed.
    const pours = all.filter((p) => !keys.has(`${p.deviceId}:${p.seq}`))
    for (const p of pours) keys.add(`${p.deviceId}:${p.seq}`)
    if (keys.size > 5000) keys.clear()
    if (pours.length === 0) return
    root.querySelector('#pours-empty')?.remove()
    seen += pours.length
    root.querySelector('#rate-seen')!.textContent = fmtNum(seen)
    const html = pours
      .map(
        (p) => `<tr class="${flash ? 'pour-new' : ''}" data-device="${esc(p.deviceId)}"><td>${fmtTime(p.ts)}</td>
          <td><a href="#/device/${encodeURIComponent(p.deviceId)}">${esc(p.deviceId)}</a></td>
          <td><a href="#/venue/${encodeURIComponent(p.venueId)}">${esc(p.venueId)}</a></td><td>${esc(p.beverage.replace(/^bev-/, ''))}</td>
          <td class="num">${fmtNum(p.volumeMl)}</td><td class="num">${fmtNum(p.kegRemainingMl / 1000, 1)}</td></tr>`,
      )
      .reverse()
      .join('')
    body.insertAdjacentHTML('afterbegin', html)
    while (body.rows.length > MAX_ROWS) body.deleteRow(-1)
  }

  const rates = (r: LiveRates): void => {
    root.querySelector('#rate-frames')!.textContent = fmtNum(r.framesPerS)
    root.querySelector('#rate-litres')!.textContent = fmtNum(r.litresPerMin, 1)
    root.querySelector('#rate-pours')!.textContent = fmtNum(r.pours)
    history.push({ t: Date.now(), f: r.framesPerS, l: r.litresPerMin })
    if (history.length > 300) history.shift()
    ratesChart.setOption({ series: [{ data: history.map((h) => [h.t, h.f]) }, { data: history.map((h) => [h.t, h.l]) }] })
  }

  void api<{ pours: LivePour[]; rates: LiveRates }>('live', { limit: '30' }).then((s) => {
    add([...s.pours].reverse(), false)
    rates(s.rates)
  })
  const es = new EventSource('/api/live/stream')
  es.addEventListener('pours', (e) => add(JSON.parse((e as MessageEvent<string>).data) as LivePour[], true))
  es.addEventListener('rates', (e) => rates(JSON.parse((e as MessageEvent<string>).data) as LiveRates))
  return () => es.close()
}
