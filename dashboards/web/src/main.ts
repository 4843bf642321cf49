import { disposeCharts } from './charts.js'
import { deviceView } from './device.js'
import { fleetView } from './fleet.js'
import { liveView } from './live.js'
import { loadView } from './load.js'
import { venueView } from './venue.js'
import type { View } from './util.js'

const VIEWS: Record<string, View> = { fleet: fleetView, live: liveView, device: deviceView, venue: venueView, load: loadView }
let cleanup: (() => void) | void

/** Hash routes (#/fleet, #/live, #/device/<id>, #/venue/<id>, #/load/<name>): no server routing needed. */
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

window.addEventListener('hashchange', route)
route()
