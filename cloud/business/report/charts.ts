import * as echarts from 'echarts'

export interface Series {
  name: string
  data: number[]
  type?: 'line' | 'bar'
  stack?: string
}

export interface ChartSpec {
  title: string
  categories: string[]
  series: Series[]
  /** Y-axis label formatter suffix/prefix, e.g. '$'. */
  unit?: string
}

/** Render a chart to a self-contained SVG string (server-side echarts, no browser, no CDN). */
export function renderChart(spec: ChartSpec, width = 720, height = 300): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height })
  try {
    chart.setOption({
      animation: false,
      title: { text: spec.title, left: 'center', textStyle: { fontSize: 14 } },
      legend: { bottom: 0 },
      grid: { left: 70, right: 20, top: 40, bottom: 50 },
      xAxis: { type: 'category', data: spec.categories },
      yAxis: { type: 'value', axisLabel: { formatter: spec.unit === '$' ? (v: number) => `$${compact(v)}` : (v: number) => compact(v) } },
      series: spec.series.map((s) => ({ name: s.name, type: s.type ?? 'line', data: s.data, stack: s.stack, smooth: false, showSymbol: spec.categories.length < 40 })),
    })
    return chart.renderToSVGString()
  } finally {
    chart.dispose()
  }
}

function compact(v: number): string {
  const a = Math.abs(v)
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`
  if (a >= 1e3) return `${(v / 1e3).toFixed(0)}k`
  return String(Math.round(v * 100) / 100)
}
