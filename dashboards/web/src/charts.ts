import * as echarts from 'echarts/core'
import { BarChart, LineChart } from 'echarts/charts'
import { DataZoomComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, DataZoomComponent, CanvasRenderer])

export type ECharts = echarts.ECharts
type Option = Parameters<echarts.ECharts['setOption']>[0]

const TEXT = '#8b98a5'
const PALETTE = ['#58a6ff', '#f0b429', '#3fb950', '#f85149', '#bc8cff', '#39c5cf', '#ff7b72', '#d29922']

/** One chart in `el`, dark-themed and resized with the window. Returns the instance for updates. */
export function chart(el: HTMLElement, option: Option): echarts.ECharts {
  const c = echarts.getInstanceByDom(el) ?? echarts.init(el, undefined, { renderer: 'canvas' })
  c.setOption(
    {
      color: PALETTE,
      backgroundColor: 'transparent',
      textStyle: { color: TEXT },
      grid: { left: 50, right: 50, top: 30, bottom: 30 },
      tooltip: { trigger: 'axis' },
      legend: { textStyle: { color: TEXT }, top: 0 },
      animation: false,
      ...option,
    },
    true,
  )
  return c
}

export const axis = {
  time: { type: 'time' as const, axisLine: { lineStyle: { color: '#26323d' } } },
  value: (name = '') => ({ type: 'value' as const, name, splitLine: { lineStyle: { color: '#26323d' } } }),
  category: (data: (string | number)[]) => ({ type: 'category' as const, data, axisLine: { lineStyle: { color: '#26323d' } } }),
}

export function disposeCharts(root: HTMLElement): void {
  for (const el of root.querySelectorAll<HTMLElement>('.chart')) echarts.getInstanceByDom(el)?.dispose()
}

window.addEventListener('resize', () => {
  for (const el of document.querySelectorAll<HTMLElement>('.chart')) echarts.getInstanceByDom(el)?.resize()
})
