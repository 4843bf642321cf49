import { axis, chart } from './charts.js'
import { api, esc, fmtNum, fmtTime, table, type View } from './util.js'
import type { LoadReportEntry } from '../../api.js'


type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const show = (v: unknown): string => (typeof v === 'number' ? fmtNum(v, Number.isInteger(v) ? 0 : 2) : esc(typeof v === 'object' ? JSON.stringify(v) : v))

/** Reports written by `tapflow load`: renders whatever parts a report has, and says so when there are none. */
export const loadView: View = (root, name) => {
  root.innerHTML = `<h1>Load tests</h1><div id="load-body"><p class="muted">Loading…</p></div>`
  const body = root.querySelector<HTMLElement>('#load-body')!
  void (async () => {
    const list = await api<LoadReportEntry[]>('load')
    if (list.length === 0) {
      body.innerHTML = '<div class="panel"><p class="muted">No load-test reports yet. Run <code>tapflow load</code>; its reports (reports/load-*/report.json) show up here.</p></div>'
      return
    }
    const pick = name ?? list[0]!.name
    const report = await api<Obj>('load/report', { name: pick })
    body.innerHTML = `
      <div class="toolbar"><label class="muted">report <select id="load-pick">${list.map((e) => `<option value="${esc(e.name)}"${e.name === pick ? ' selected' : ''}>${esc(e.name)} (${fmtTime(e.modifiedAt, true)})</option>`).join('')}</select></label></div>
      <div class="panel"><h2>Summary</h2>${isObj(report.summary) ? table([{ h: 'metric' }, { h: 'value' }], Object.entries(report.summary).map(([k, v]) => [esc(k), show(v)])) : '<p class="muted">no summary</p>'}</div>
      <div class="grid2"><div class="panel"><h2>Throughput</h2><div class="chart" id="load-tput"></div></div>
        <div class="panel"><h2>Latency histogram</h2><div class="chart" id="load-lat"></div></div></div>
      <div class="panel"><h2>Processes</h2><div id="load-procs"></div></div>`
    root.querySelector<HTMLSelectElement>('#load-pick')!.addEventListener('change', (e) => (location.hash = `#/load/${(e.target as HTMLSelectElement).value}`))
    const tput = Array.isArray(report.throughput) ? (report.throughput as unknown[]).filter(isObj) : []
    const keys = tput.length ? Object.keys(tput[0]!).filter((k) => typeof tput[0]![k] === 'number') : []
    const xKey = keys.find((k) => /^(t|ts|time|second|elapsed)/i.test(k))
    chart(root.querySelector<HTMLElement>('#load-tput')!, {
      xAxis: xKey ? axis.value(xKey) : axis.category(tput.map((_, i) => i)),
      yAxis: axis.value(),
      series: keys.filter((k) => k !== xKey).map((k) => ({ name: k, type: 'line', showSymbol: false, data: tput.map((r, i) => (xKey ? [r[xKey], r[k]] : [i, r[k]])) })),
    })
    const hist = histogram(report)
    chart(root.querySelector<HTMLElement>('#load-lat')!, {
      xAxis: axis.category(hist.map((h) => h[0])),
      yAxis: axis.value('count'),
      series: [{ name: 'count', type: 'bar', data: hist.map((h) => h[1]) }],
    })
    const procs = Array.isArray(report.processes) ? (report.processes as unknown[]).filter(isObj) : []
    const cols = procs.length ? Object.keys(procs[0]!) : []
    root.querySelector('#load-procs')!.innerHTML = table(cols.map((h) => ({ h })), procs.map((p) => cols.map((c) => show(p[c]))), 'no process records')
  })().catch((err: Error) => (body.innerHTML = `<p class="error">${esc(err.message)}</p>`))
}

/** Accepts the usual shapes: [{le|bucket|ms, count}], [[bucket, count]] or { bucket: count }, under any key mentioning latency. */
function histogram(report: Obj): [string, number][] {
  const key = Object.keys(report).find((k) => /latency|histogram/i.test(k))
  let h: unknown = key === undefined ? undefined : report[key]
  if (isObj(h) && !Array.isArray(h)) h = (h.buckets ?? h.histogram ?? h) as unknown
  if (Array.isArray(h)) {
    return h.flatMap((b): [string, number][] => {
      if (Array.isArray(b) && b.length >= 2) return [[String(b[0]), Number(b[1])]]
      if (isObj(b)) {
        const label = b.le ?? b.bucket ?? b.ms ?? b.upperMs ?? b.value
        const count = b.count ?? b.n
        if (typeof count === 'number') return [[String(label), count]]
      }
      return []
    })
  }
  if (isObj(h)) return Object.entries(h).filter((e): e is [string, number] => typeof e[1] === 'number')
  return []
}
