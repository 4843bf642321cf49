import { api, badge, esc, fmtNum, fmtTime, table } from './util.js'
import type { CurrentFeature, FeatureViewState } from '../../src/features-panel.js'

/** The feature store on the dashboard: an entity's current values (device and venue views), and the views' lag. */

/** The server's shapes (dashboards/src/features-panel.ts); type-only, so nothing of the server enters the bundle. */
type ViewState = FeatureViewState & { lagMs: number | null }

const FRESHNESS: Record<CurrentFeature['status'], string> = { fresh: 'ok', stale: 'warn', missing: 'offline' }

/** 90 s, 3.5 h, 2.1 d: a duration at a glance. */
export function fmtAge(ms: number | null): string {
  if (ms === null) return '—'
  const s = ms / 1000
  if (s < 120) return `${fmtNum(s)} s`
  if (s < 7200) return `${fmtNum(s / 60)} min`
  if (s < 172_800) return `${fmtNum(s / 3600, 1)} h`
  return `${fmtNum(s / 86_400, 1)} d`
}

function fmtValue(f: CurrentFeature): string {
  if (f.value === null) return '—'
  if (typeof f.value === 'string') return esc(f.value)
  return f.type === 'int64' ? fmtNum(f.value) : fmtNum(f.value, Math.abs(f.value) >= 100 ? 1 : 3)
}

/** Fills `el` with an entity's current features, each with its freshness and the age of its source event. */
export async function featureValues(el: HTMLElement, entity: 'device' | 'venue' | 'customer', id: string): Promise<void> {
  let d: { now: number; features: CurrentFeature[] }
  try {
    d = await api<{ now: number; features: CurrentFeature[] }>('features', { entity, id })
  } catch (err) {
    el.innerHTML = `<p class="muted">${esc((err as Error).message)}</p>`
    return
  }
  const counts = { fresh: 0, stale: 0, missing: 0 }
  for (const f of d.features) counts[f.status]++
  el.innerHTML = `<p class="muted">${counts.fresh} fresh · ${counts.stale} stale · ${counts.missing} missing, as of ${fmtTime(d.now, true)} (the stack's clock)</p>` + table(
    [{ h: 'feature' }, { h: 'value', num: true }, { h: 'freshness' }, { h: 'event age', num: true }, { h: 'view' }],
    d.features.map((f) => [
      `<span title="${esc(f.description)}">${esc(f.name)}</span>`, fmtValue(f), badge(FRESHNESS[f.status], f.status),
      f.eventTs === null ? '—' : fmtAge(d.now - f.eventTs), `<span class="muted">${esc(f.view)}</span>`,
    ]),
    'no features for this entity',
  )
}

/**
 * The "Data platform" view's feature-store section: every feature view with its materialization lag (the stack's
 * clock minus the instant last materialized), the newest event it holds and the last run. Refreshes itself.
 */
export function featuresSection(el: HTMLElement): () => void {
  el.innerHTML = '<h2>Feature store</h2><div id="platform-features-body"><p class="muted">loading…</p></div>'
  const body = el.querySelector<HTMLElement>('#platform-features-body')!
  const load = async (): Promise<void> => {
    let d: { now: number; everyMs: number | null; views: ViewState[] }
    try {
      d = await api<{ now: number; everyMs: number | null; views: ViewState[] }>('features/views')
    } catch (err) {
      body.innerHTML = `<p class="muted">${esc((err as Error).message)}</p>`
      return
    }
    const schedule = d.everyMs === null ? 'after each business day' : `every ${fmtAge(d.everyMs)} of simulated time and after each business day`
    const lag = (v: ViewState): string => {
      if (v.skipped !== undefined) return badge('offline', 'skipped')
      if (v.lagMs === null) return badge('waiting', 'not yet')
      return badge(d.everyMs !== null && v.lagMs > 2 * d.everyMs ? 'warn' : 'ok', fmtAge(v.lagMs))
    }
    body.innerHTML = `<p class="muted">${d.views.length} views, materialized into the online store ${esc(schedule)}; now ${fmtTime(d.now, true)} (the stack's clock)</p>` + table(
      [{ h: 'view' }, { h: 'entity' }, { h: 'source' }, { h: 'features', num: true }, { h: 'TTL', num: true }, { h: 'lag' }, { h: 'newest event', num: true }, { h: 'entities', num: true }, { h: 'run ms', num: true }],
      d.views.map((v) => [
        `<span title="${esc(v.skipped ?? '')}">${esc(v.name)}</span>`, esc(v.entity), `<span class="muted">${esc(v.source)}</span>`, String(v.features), fmtAge(v.ttlMs), lag(v),
        v.newestEvent === null ? '—' : `${fmtAge(Math.max(0, d.now - v.newestEvent))} ago`, fmtNum(v.entities), v.tookMs === null ? '—' : fmtNum(v.tookMs),
      ]),
      'no feature views',
    )
  }
  void load()
  const timer = setInterval(() => void load(), 10_000)
  return () => clearInterval(timer)
}
