import { disposeCharts } from './charts.js'
import { deviceView } from './device.js'
import { fleetView } from './fleet.js'
import { growthView } from './growth.js'
import { liveView } from './live.js'
import { loadView } from './load.js'
import { modelsView } from './models.js'
import { platformView } from './platform.js'
import { venueView } from './venue.js'
import { api, type View } from './util.js'

const VIEWS: Record<string, View> = { fleet: fleetView, live: liveView, device: deviceView, venue: venueView, load: loadView, platform: platformView, models: modelsView }
let cleanup: (() => void) | void

/** Hash routes (#/fleet, #/live, #/device/<id>, #/venue/<id>, #/load/<name>, #/platform): no server routing needed. */
function route(): void {
  const [, name = 'fleet', arg] = location.hash.split('/').map((p) => decodeURIComponent(p))
  const view = VIEWS[name] ?? fleetView
  const root = document.getElementById('view')!
  cleanup?.()
  disposeCharts(root)
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) a.classList.toggle('active', a.dataset.view === (name === 'device' ? 'fleet' : name))
  document.body.dataset.view = name
  cleanup = view(root, arg)
}

VIEWS.growth = growthView
window.addEventListener('hashchange', route)
route()

interface CompanyStatus {
  business: boolean
  backfill?: { state: 'none' | 'running' | 'done'; daysDone: number; daysTotal: number }
}

/** `tapflow up` computes the business history's pipelines in the background: say so while it runs. */
async function companyBanner(): Promise<void> {
  const el = document.getElementById('company-banner')
  if (!el) return
  const s = await api<CompanyStatus>('company').catch(() => undefined)
  const b = s?.backfill
  el.hidden = b?.state !== 'running'
  if (b?.state === 'running') {
    el.textContent = `Business history backfill running: ${b.daysDone} of ${b.daysTotal} days. Business reports and history charts fill in as it goes; live telemetry is unaffected.`
  }
  // The business reports in after the stack is up (or never, for a synthetic fleet): keep asking until it is done.
  if (s?.business !== true || b?.state === 'running') setTimeout(() => void companyBanner(), 3000)
}
void companyBanner()
