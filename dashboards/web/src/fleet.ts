import { api, badge, esc, fmtNum, fmtTime, kegBar, tile, type View } from './util.js'
import type { DeviceRisk, DeviceRow } from '../../api.js'


type Row = { venue: { id: string; name: string; city: string; n: number; bad: number; offline: number; atRisk: number } } | { device: DeviceRow }

const ROW_H = 30
/** The stylesheet's device row with a risk column before the alerts. */
const DEVICE_COLS = 'grid-template-columns:170px 70px 170px 110px 90px 90px 150px 1fr'

/** Predictive risk: the newest round's highest mode score; an open alert shows as a fault badge naming its modes. */
function riskCell(r: DeviceRisk | null): string {
  if (r === null) return '<span class="muted" title="not scored yet">—</span>'
  const pct = r.score === null ? '' : `${fmtNum(r.score * 100)}%`
  const title = r.score === null ? 'open alert' : `highest failure-mode risk in the newest scoring round (${fmtTime(r.scoredAt, true)}): ${r.mode ?? ''}`
  if (r.openAlerts.length > 0) return `<span title="${esc(title)}">${badge('fault', `${pct ? `${pct} ` : ''}${r.openAlerts.join(', ')}`)}</span>`
  return `<span class="muted" title="${esc(title)}">${pct} ${esc(r.mode ?? '')}</span>`
}

/**
 * Every device grouped by venue; only the rows in view are in the DOM, so 10,000 devices scroll smoothly.
 * `#/fleet/<account id>` opens it filtered to one account (the website's login sends customers there).
 */
export const fleetView: View = (root, accountId) => {
  root.innerHTML = `
    <h1>Fleet</h1>
    <div class="tiles" id="fleet-tiles"></div>
    <div class="toolbar">
      <input type="search" id="fleet-q" placeholder="Search device, venue, city, beverage…">
      <select id="fleet-status">
        <option value="all">all devices</option><option value="alert">needs attention</option><option value="risk">at risk (open alert)</option>
        <option value="fault">faults</option><option value="warn">warnings</option>
        <option value="offline">offline</option><option value="online">online</option><option value="waiting">no frame yet</option>
      </select>
      <select id="fleet-account"><option value="">all accounts</option></select>
      <span class="legend"><span><span class="dot h-ok"></span>healthy</span><span><span class="dot h-warn"></span>warning</span>
        <span><span class="dot h-fault"></span>fault</span><span><span class="dot h-offline"></span>offline</span><span><span class="dot h-waiting"></span>no frame yet</span></span>
      <span class="muted" id="fleet-count"></span>
    </div>
    <div class="vlist" id="fleet-list"><div class="spacer"></div></div>`
  const list = root.querySelector<HTMLElement>('#fleet-list')!
  const spacer = list.querySelector<HTMLElement>('.spacer')!
  const q = root.querySelector<HTMLInputElement>('#fleet-q')!
  const status = root.querySelector<HTMLSelectElement>('#fleet-status')!
  const account = root.querySelector<HTMLSelectElement>('#fleet-account')!
  let all: DeviceRow[] = []
  let rows: Row[] = []

  const filter = (): void => {
    const text = q.value.trim().toLowerCase()
    const st = status.value
    const keep = all.filter(
      (d) =>
        (account.value === '' || d.accountId === account.value) &&
        (st === 'all' || (st === 'risk' ? (d.risk?.openAlerts.length ?? 0) > 0 : st === 'alert' ? ['warn', 'fault', 'offline'].includes(d.health) : st === 'online' ? d.online : d.health === st)) &&
        (text === '' || `${d.deviceId} ${d.venueId} ${d.venueName} ${d.city} ${d.beverage}`.toLowerCase().includes(text)),
    )
    rows = []
    let venueRow: Extract<Row, { venue: unknown }> | undefined
    for (const d of keep) {
      if (venueRow?.venue.id !== d.venueId) {
        venueRow = { venue: { id: d.venueId, name: d.venueName, city: d.city, n: 0, bad: 0, offline: 0, atRisk: 0 } }
        rows.push(venueRow)
      }
      venueRow.venue.n++
      if ((d.risk?.openAlerts.length ?? 0) > 0) venueRow.venue.atRisk++
      if (d.health === 'offline') venueRow.venue.offline++
      else if (d.health === 'warn' || d.health === 'fault') venueRow.venue.bad++
      rows.push({ device: d })
    }
    root.querySelector('#fleet-count')!.textContent = `${fmtNum(keep.length)} of ${fmtNum(all.length)} devices`
    spacer.style.height = `${rows.length * ROW_H}px`
    render()
  }

  const render = (): void => {
    const first = Math.max(0, Math.floor(list.scrollTop / ROW_H) - 10)
    const last = Math.min(rows.length, first + Math.ceil(list.clientHeight / ROW_H) + 20)
    let html = ''
    for (let i = first; i < last; i++) {
      const r = rows[i]!
      const top = `style="top:${i * ROW_H}px"`
      if ('venue' in r) {
        const v = r.venue
        html += `<div class="vrow venue" ${top} data-venue="${esc(v.id)}"><span>${esc(v.name || v.id)} <span class="muted">· ${esc(v.city)} · ${esc(v.id)}</span></span>
          <span class="counts">${v.n} taps${v.bad ? ` · <span style="color:var(--warn)">${v.bad} need attention</span>` : ''}${v.offline ? ` · ${v.offline} offline` : ''}${v.atRisk ? ` · <span style="color:var(--fault)">${v.atRisk} at risk</span>` : ''}</span></div>`
      } else {
        const d = r.device
        html += `<div class="vrow" style="top:${i * ROW_H}px;${DEVICE_COLS}" data-device="${esc(d.deviceId)}"><span><span class="dot h-${d.health}"></span>${esc(d.deviceId)}</span>
          <span class="muted">line ${d.lineId}</span><span>${esc(d.beverage)}</span>${kegBar(d.kegPct)}
          <span class="muted">${d.lineTempC === null ? '—' : `${fmtNum(d.lineTempC, 1)} °C`}</span><span class="muted">${fmtTime(d.lastSeen)}</span>
          <span class="risk">${riskCell(d.risk)}</span><span>${d.alerts.length ? d.alerts.map((a) => badge(d.health, a)).join('') : badge(d.health)}</span></div>`
      }
    }
    spacer.innerHTML = html
  }

  const load = async (): Promise<void> => {
    try {
      const f = await api<{ now: number; devices: DeviceRow[] }>('fleet')
      all = f.devices
      // Accounts to filter by: the business's, when the fleet is its installed base (a synthetic fleet has none).
      const accounts = [...new Set(all.map((d) => d.accountId).filter((a) => a !== ''))].sort()
      if (account.options.length !== accounts.length + 1) {
        const chosen = account.value || (accountId ?? '')
        account.innerHTML = `<option value="">all accounts</option>${accounts.map((a) => `<option${a === chosen ? ' selected' : ''}>${esc(a)}</option>`).join('')}`
        account.hidden = accounts.length === 0
      }
      const count = (h: string): number => all.filter((d) => d.health === h).length
      root.querySelector('#fleet-tiles')!.innerHTML =
        tile('devices', fmtNum(all.length)) +
        tile('online', `${fmtNum(all.filter((d) => d.online).length)}`, 'fleet-online') +
        tile('healthy', `<span style="color:var(--ok)">${fmtNum(count('ok'))}</span>`) +
        tile('warnings', `<span style="color:var(--warn)">${fmtNum(count('warn'))}</span>`) +
        tile('faults', `<span style="color:var(--fault)">${fmtNum(count('fault'))}</span>`) +
        tile('offline', `<span style="color:var(--offline)">${fmtNum(count('offline'))}</span>`) +
        tile('at risk', all.some((d) => d.risk !== null)
          ? `<span style="color:var(--fault)">${fmtNum(all.filter((d) => (d.risk?.openAlerts.length ?? 0) > 0).length)}</span>`
          : '<span class="muted" style="font-size:14px" title="live scoring writes tapflow.predictions while tapflow up runs">not scored yet</span>', 'fleet-at-risk') +
        (count('waiting') ? tile('no frame yet', `<span style="color:var(--waiting)">${fmtNum(count('waiting'))}</span>`) : '') +
        tile('data as of', `<span style="font-size:16px">${fmtTime(f.now, true)}</span>`)
      filter()
    } catch (err) {
      spacer.innerHTML = `<p class="error">${esc((err as Error).message)}</p>`
    }
  }

  list.addEventListener('scroll', () => requestAnimationFrame(render))
  list.addEventListener('click', (e) => {
    const row = (e.target as HTMLElement).closest<HTMLElement>('.vrow')
    if (row?.dataset.device) location.hash = `#/device/${encodeURIComponent(row.dataset.device)}`
    else if (row?.dataset.venue) location.hash = `#/venue/${encodeURIComponent(row.dataset.venue)}`
  })
  q.addEventListener('input', filter)
  status.addEventListener('change', filter)
  account.addEventListener('change', filter)
  void load()
  const timer = setInterval(() => void load(), 10_000)
  return () => clearInterval(timer)
}
