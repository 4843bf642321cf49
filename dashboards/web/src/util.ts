/** Fetches one API endpoint; the server returns `{ error }` with a 4xx/5xx status when it refuses. */
export async function api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
  const q = new URLSearchParams(params).toString()
  const res = await fetch(`/api/${path}${q ? `?${q}` : ''}`)
  const body = (await res.json()) as T & { error?: string }
  if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`)
  return body
}

/**
 * Renders `path`'s JSON into `body` now and again `everyMs` after each answer, until the returned stop is called;
 * a refused call shows its error in place. A refresh never starts while the previous one runs.
 */
export function pollInto<T>(body: HTMLElement, path: string, render: (v: T) => string, everyMs = 5_000): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  const refresh = async (): Promise<void> => {
    try {
      body.innerHTML = render(await api<T>(path))
    } catch (err) {
      body.innerHTML = `<p class="error">${esc((err as Error).message)}</p>`
    }
    if (!stopped) timer = setTimeout(() => void refresh(), everyMs)
  }
  void refresh()
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}

/** Escapes text for HTML templates: every value from the API goes through here. */
export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

export function fmtTime(ms: number | null | undefined, withDate = false): string {
  if (!ms) return '—'
  const d = new Date(ms)
  const t = d.toISOString()
  return withDate ? `${t.slice(0, 10)} ${t.slice(11, 19)}` : t.slice(11, 19)
}

export function fmtNum(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—'
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

export function tile(label: string, value: string, id?: string): string {
  return `<div class="tile"><div class="k">${esc(label)}</div><div class="v"${id ? ` id="${id}"` : ''}>${value}</div></div>`
}

export function table(cols: { h: string; num?: boolean }[], rows: string[][], empty = 'nothing yet'): string {
  if (rows.length === 0) return `<p class="muted">${esc(empty)}</p>`
  const head = cols.map((c) => `<th${c.num ? ' class="num"' : ''}>${esc(c.h)}</th>`).join('')
  const body = rows.map((r) => `<tr>${r.map((v, i) => `<td${cols[i]?.num ? ' class="num"' : ''}>${v}</td>`).join('')}</tr>`).join('')
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`
}

export const HEALTH_LABEL: Record<string, string> = { ok: 'healthy', warn: 'warning', fault: 'fault', offline: 'offline', waiting: 'no frame yet' }

export function badge(health: string, text = HEALTH_LABEL[health] ?? health): string {
  return `<span class="badge b-${esc(health)}">${esc(text)}</span>`
}

export function kegBar(pct: number | null): string {
  if (pct === null) return '<span class="muted">—</span>'
  const cls = pct < 10 ? 'low' : pct < 25 ? 'mid' : ''
  return `<div class="bar ${cls}" title="${fmtNum(pct, 1)}%"><span style="width:${Math.max(0, Math.min(100, pct))}%"></span></div>`
}

/** A view owns its DOM under `root` and stops its timers and streams in the returned cleanup. */
export type View = (root: HTMLElement, arg: string | undefined) => (() => void) | void
