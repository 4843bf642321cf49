import type { InvestorMetrics } from '../pipelines/aggregated.js'
import type { CheckResult } from '../quality/index.js'
import { num, pct, usd } from './format.js'

export interface DailyPoint {
  day: string
  dau: number
  wau: number
}

/** Everything a rendered investor report needs. */
export interface ReportModel {
  company: string
  month: string
  metrics: InvestorMetrics
  history: InvestorMetrics[]
  daily: DailyPoint[]
  quality: Array<CheckResult & { failingDays: number }>
  generatedFor: string
}

export interface Row {
  label: string
  value: string
}

/** The headline table, shared by Markdown and HTML. */
export function headline(m: InvestorMetrics): Row[] {
  return [
    { label: 'MRR', value: usd(m.mrr) },
    { label: 'ARR', value: usd(m.arr) },
    { label: 'Net revenue retention (month)', value: pct(m.nrr) },
    { label: 'Gross revenue retention (month)', value: pct(m.grr) },
    { label: 'Paying customers', value: num(m.customers) },
    { label: 'New customers', value: num(m.newCustomers) },
    { label: 'Churned customers', value: num(m.churnedCustomers) },
    { label: 'Logo churn (month)', value: pct(m.logoChurn, 2) },
    { label: 'Revenue churn (month)', value: pct(m.revenueChurn, 2) },
    { label: 'CAC', value: usd(m.cac) },
    { label: 'ARPA (monthly)', value: usd(m.arpa) },
    { label: 'LTV', value: usd(m.ltv) },
    { label: 'LTV : CAC', value: m.ltvToCac === null ? 'n/a' : `${m.ltvToCac.toFixed(1)}×` },
    { label: 'Net burn', value: usd(m.burn) },
    { label: 'Cash at month end', value: usd(m.cash) },
    { label: 'Runway', value: m.runwayMonths === null ? 'profitable' : `${m.runwayMonths.toFixed(1)} months` },
  ]
}

export function pnl(m: InvestorMetrics): Row[] {
  return [
    { label: 'Revenue (net of refunds)', value: usd(m.revenue) },
    { label: 'Refunds', value: usd(m.refunds) },
    { label: 'Infrastructure', value: usd(m.infrastructure) },
    { label: 'Gross margin', value: pct(m.grossMargin) },
    { label: 'Marketing', value: usd(m.marketing) },
    { label: 'Other operating expenses', value: usd(m.otherExpenses) },
    { label: 'Salaries', value: usd(m.salaries) },
    { label: 'Net profit', value: usd(m.netProfit) },
  ]
}

export function operations(m: InvestorMetrics): Row[] {
  return [
    { label: 'MRR bridge', value: `+${usd(m.newMrr)} new, +${usd(m.expansionMrr)} expansion, −${usd(m.contractionMrr)} contraction, −${usd(m.churnedMrr)} churn` },
    { label: 'Leads / trials started', value: `${num(m.leads)} / ${num(m.trialsStarted)}` },
    { label: 'Average DAU / WAU at month end', value: `${num(m.dauAvg)} / ${num(m.wauEnd)}` },
    { label: 'Average session', value: `${num(m.avgSessionMinutes, 1)} min` },
    { label: 'Device failures / support tickets', value: `${num(m.deviceFailures)} / ${num(m.ticketsOpened)}` },
    // Months stored before live scoring existed have no proactive counts.
    { label: 'Proactive maintenance', value: `${num(m.proactiveTickets ?? 0)} tickets from model alerts; failures foreseen ${num(m.failuresForeseen ?? 0)}, without one ${num(m.deviceFailures - (m.failuresForeseen ?? 0))}` },
  ]
}
