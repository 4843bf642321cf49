export { runLoad, type LoadOptions, type LoadReport, type ProcessUsage } from './src/run-load.js'
export { writeReport, renderHtml } from './src/report.js'
export { account, type Accounting } from './src/accounting.js'
export { latencySummary, windowRates, median, type LatencySummary } from './src/stats.js'
