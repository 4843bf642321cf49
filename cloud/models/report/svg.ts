/**
 * Small inline-SVG charts for the evaluation report: the report must open from disk with no network and no script,
 * so charts are drawn here as markup rather than by a charting library at view time.
 */

export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string)
const n = (v: number): string => (Number.isFinite(v) ? String(Math.round(v * 10) / 10) : '0')
export const fmt = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits))

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563']

interface Frame {
  w: number
  h: number
  left: number
  right: number
  top: number
  bottom: number
}

function open(kind: string, title: string, f: Frame): string {
  return `<svg class="chart" data-chart="${esc(kind)}" role="img" aria-label="${esc(title)}" viewBox="0 0 ${f.w} ${f.h}" width="${f.w}" height="${f.h}" xmlns="http://www.w3.org/2000/svg">` +
    `<title>${esc(title)}</title>`
}

function axes(f: Frame, xLabel: string, yLabel: string, xTicks: [number, string][], yTicks: [number, string][]): string {
  const x0 = f.left
  const y0 = f.h - f.bottom
  let s = `<g class="axes" stroke="#9ca3af" stroke-width="1"><line x1="${x0}" y1="${y0}" x2="${f.w - f.right}" y2="${y0}"/><line x1="${x0}" y1="${f.top}" x2="${x0}" y2="${y0}"/></g>`
  s += '<g font-size="10" fill="#374151">'
  for (const [x, l] of xTicks) s += `<text x="${n(x)}" y="${y0 + 13}" text-anchor="middle">${esc(l)}</text>`
  for (const [y, l] of yTicks) s += `<text x="${x0 - 4}" y="${n(y + 3)}" text-anchor="end">${esc(l)}</text>`
  s += `<text x="${n((x0 + f.w - f.right) / 2)}" y="${f.h - 4}" text-anchor="middle">${esc(xLabel)}</text>`
  s += `<text transform="translate(11 ${n((f.top + y0) / 2)}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text></g>`
  return s
}

/** Lines on [0,1]×[0,1], e.g. precision against recall; an optional marked point and a dashed horizontal reference. */
export function unitLineChart(o: {
  kind: string; title: string; xLabel: string; yLabel: string
  series: { name: string; points: [number, number][] }[]
  mark?: { x: number; y: number; label: string }
  reference?: { y: number; label: string }
}): string {
  const f: Frame = { w: 340, h: 250, left: 40, right: 12, top: 12, bottom: 34 }
  const px = (x: number): number => f.left + x * (f.w - f.left - f.right)
  const py = (y: number): number => f.h - f.bottom - y * (f.h - f.top - f.bottom)
  const ticks = [0, 0.25, 0.5, 0.75, 1]
  let s = open(o.kind, o.title, f) + axes(f, o.xLabel, o.yLabel, ticks.map((t) => [px(t), String(t)]), ticks.map((t) => [py(t), String(t)]))
  if (o.reference !== undefined) {
    s += `<line x1="${px(0)}" y1="${n(py(o.reference.y))}" x2="${px(1)}" y2="${n(py(o.reference.y))}" stroke="#6b7280" stroke-dasharray="4 3"/>` +
      `<text x="${px(1) - 2}" y="${n(py(o.reference.y) - 3)}" font-size="9" text-anchor="end" fill="#6b7280">${esc(o.reference.label)}</text>`
  }
  o.series.forEach((ser, i) => {
    if (ser.points.length === 0) return
    const d = ser.points.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${n(px(x))} ${n(py(y))}`).join('')
    s += `<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.8"><title>${esc(ser.name)}</title></path>`
  })
  if (o.mark !== undefined) {
    s += `<circle cx="${n(px(o.mark.x))}" cy="${n(py(o.mark.y))}" r="4" fill="#111827"/>` +
      `<text x="${n(Math.min(px(o.mark.x) + 6, f.w - 90))}" y="${n(Math.max(py(o.mark.y) - 6, 20))}" font-size="10" fill="#111827">${esc(o.mark.label)}</text>`
  }
  return s + '</svg>'
}

/** Horizontal bars with labels, e.g. feature importance or MAE of a model against a baseline. */
export function barChart(o: { kind: string; title: string; bars: { label: string; value: number }[]; format?: (v: number) => string }): string {
  const rowH = 18
  const f: Frame = { w: 420, h: 16 + rowH * Math.max(o.bars.length, 1), left: 170, right: 56, top: 8, bottom: 8 }
  const max = Math.max(...o.bars.map((b) => Math.abs(b.value)), 1e-12)
  const width = f.w - f.left - f.right
  const show = o.format ?? ((v: number) => fmt(v, 3))
  let s = open(o.kind, o.title, f)
  o.bars.forEach((b, i) => {
    const y = f.top + i * rowH
    const w = Math.max((Math.abs(b.value) / max) * width, 1)
    s += `<text x="${f.left - 6}" y="${y + 12}" font-size="11" text-anchor="end" fill="#374151">${esc(b.label.length > 26 ? b.label.slice(0, 25) + '…' : b.label)}</text>` +
      `<rect x="${f.left}" y="${y + 2}" width="${n(w)}" height="${rowH - 5}" fill="${b.value < 0 ? '#dc2626' : COLORS[0]}"><title>${esc(`${b.label}: ${show(b.value)}`)}</title></rect>` +
      `<text x="${n(f.left + w + 4)}" y="${y + 12}" font-size="10" fill="#374151">${esc(show(b.value))}</text>`
  })
  return s + '</svg>'
}

/** Counts in bins of `binWidth` from 0 to `max`, as vertical bars. */
export function histogram(o: { kind: string; title: string; xLabel: string; values: number[]; binWidth: number; max: number }): string {
  const bins = Math.max(1, Math.ceil(o.max / o.binWidth))
  const counts = new Array<number>(bins).fill(0)
  for (const v of o.values) counts[Math.min(bins - 1, Math.max(0, Math.floor(v / o.binWidth)))]! += 1
  const f: Frame = { w: 340, h: 220, left: 40, right: 12, top: 12, bottom: 34 }
  const top = Math.max(...counts, 1)
  const bw = (f.w - f.left - f.right) / bins
  const py = (c: number): number => f.h - f.bottom - (c / top) * (f.h - f.top - f.bottom)
  const xTicks: [number, string][] = []
  const every = Math.max(1, Math.ceil(bins / 6))
  for (let b = 0; b <= bins; b += every) xTicks.push([f.left + b * bw, String(b * o.binWidth)])
  let s = open(o.kind, o.title, f) + axes(f, o.xLabel, 'failures', xTicks, [[py(0), '0'], [py(top), String(top)]])
  counts.forEach((c, b) => {
    if (c > 0) s += `<rect x="${n(f.left + b * bw + 1)}" y="${n(py(c))}" width="${n(bw - 2)}" height="${n(py(0) - py(c))}" fill="${COLORS[2]}"><title>${b * o.binWidth}–${(b + 1) * o.binWidth}: ${c}</title></rect>`
  })
  return s + '</svg>'
}

/** A 2×2 confusion matrix as shaded cells. */
export function confusionChart(o: { kind: string; title: string; tp: number; fp: number; fn: number; tn: number }): string {
  const f: Frame = { w: 250, h: 190, left: 80, right: 10, top: 30, bottom: 10 }
  const cell = 75
  const max = Math.max(o.tp, o.fp, o.fn, o.tn, 1)
  const cells: [string, number, number, number][] = [['TP', o.tp, 0, 0], ['FN', o.fn, 1, 0], ['FP', o.fp, 0, 1], ['TN', o.tn, 1, 1]]
  let s = open(o.kind, o.title, f) + '<g font-size="10" fill="#374151">' +
    `<text x="${f.left + cell / 2}" y="${f.top - 8}" text-anchor="middle">alert</text><text x="${f.left + cell * 1.5}" y="${f.top - 8}" text-anchor="middle">no alert</text>` +
    `<text x="${f.left - 6}" y="${f.top + cell / 2}" text-anchor="end">fails</text><text x="${f.left - 6}" y="${f.top + cell * 1.5}" text-anchor="end">healthy</text></g>`
  for (const [label, v, cx, cy] of cells) {
    // Log shading: the healthy-row count dwarfs the others.
    const shade = Math.log1p(v) / Math.log1p(max)
    const good = label === 'TP' || label === 'TN'
    s += `<rect x="${f.left + cx * cell}" y="${f.top + cy * cell}" width="${cell - 2}" height="${cell - 2}" fill="${good ? '#16a34a' : '#dc2626'}" fill-opacity="${n(0.1 + 0.6 * shade)}"><title>${label}: ${v}</title></rect>` +
      `<text x="${f.left + cx * cell + cell / 2}" y="${f.top + cy * cell + cell / 2}" text-anchor="middle" font-size="12" fill="#111827">${label} ${v.toLocaleString('en-US')}</text>`
  }
  return s + '</svg>'
}

/** Horizontal spans on one time axis, e.g. the train, validation and test windows. */
export function timeline(o: { kind: string; title: string; spans: { label: string; from: number; to: number }[] }): string {
  const f: Frame = { w: 700, h: 40 + 24 * o.spans.length, left: 90, right: 20, top: 10, bottom: 24 }
  const lo = Math.min(...o.spans.map((x) => x.from))
  const hi = Math.max(...o.spans.map((x) => x.to), lo + 1)
  const px = (t: number): number => f.left + ((t - lo) / (hi - lo)) * (f.w - f.left - f.right)
  const day = (t: number): string => new Date(t).toISOString().slice(0, 10)
  let s = open(o.kind, o.title, f) + '<g font-size="10" fill="#374151">'
  o.spans.forEach((sp, i) => {
    const y = f.top + i * 24
    s += `<text x="${f.left - 6}" y="${y + 14}" text-anchor="end">${esc(sp.label)}</text>` +
      `<rect x="${n(px(sp.from))}" y="${y + 3}" width="${n(Math.max(px(sp.to) - px(sp.from), 2))}" height="16" fill="${COLORS[i % COLORS.length]}"><title>${esc(`${sp.label}: ${day(sp.from)} … ${day(sp.to)}`)}</title></rect>`
  })
  const y0 = f.h - f.bottom
  s += `<text x="${f.left}" y="${y0 + 14}">${day(lo)}</text><text x="${f.w - f.right}" y="${y0 + 14}" text-anchor="end">${day(hi)}</text></g>`
  return s + '</svg>'
}
