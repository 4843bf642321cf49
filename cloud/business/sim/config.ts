import { ConfigError } from '../../../common/index.js'

/** Volumes and injected data issues. Every field has a default; see DEFAULT_SIM_CONFIG. */
export interface SimConfig {
  /** Paying customers already on the books on the first simulated day. Default: 400. */
  initialCustomers: number
  /** Mean new customers (trial signups) per day before campaign boosts. Default: 1.5. Full scale (the seed's 100–200/day): 150. */
  signupsPerDay: number
  /** Mean product events per active user session. Default: 5. */
  eventsPerSession: number
  /** Mean daily failure probability per tap. Default: 0.002. */
  tapFailureRate: number
  /** Share of product events that arrive 48–96 h late. Default: 0.01. */
  lateEventRate: number
  /** Share of account status changes whose record is lost (a missing intermediate step). Default: 0.005. */
  missingStatusRate: number
  /** Share of successful charges the ledger never books (revenue mismatch). Default: 0.002, inside the ±1% tolerance. */
  ledgerDropRate: number
  /** Share of due invoices never generated (a completeness gap). Default: 0. */
  skipInvoiceRate: number
  /** Cash in the bank on the first day, in cents. Default: 600_000_000 ($6M). */
  initialCashCents: number
}

export const DEFAULT_SIM_CONFIG: Readonly<SimConfig> = Object.freeze({
  initialCustomers: 400,
  signupsPerDay: 1.5,
  eventsPerSession: 5,
  tapFailureRate: 0.002,
  lateEventRate: 0.01,
  missingStatusRate: 0.005,
  ledgerDropRate: 0.002,
  skipInvoiceRate: 0,
  initialCashCents: 600_000_000,
})

const RATES = ['lateEventRate', 'missingStatusRate', 'ledgerDropRate', 'skipInvoiceRate', 'tapFailureRate'] as const

/** Defaults → validation → internal form. */
export function resolveSimConfig(input: Partial<SimConfig> = {}, base: SimConfig = DEFAULT_SIM_CONFIG): SimConfig {
  const cfg: SimConfig = { ...base }
  for (const [k, v] of Object.entries(input) as Array<[keyof SimConfig, number | undefined]>) {
    if (v !== undefined) cfg[k] = v
  }
  const intField = (k: 'initialCustomers', max: number): void => {
    const v = cfg[k]
    if (!Number.isInteger(v) || v < 0 || v > max) throw new ConfigError(`${k} must be an integer in 0..${max}, got ${v}`)
  }
  intField('initialCustomers', 1_000_000)
  if (!(cfg.signupsPerDay >= 0 && cfg.signupsPerDay <= 100_000)) throw new ConfigError(`signupsPerDay must be in 0..100000, got ${cfg.signupsPerDay}`)
  if (!(cfg.eventsPerSession >= 1 && cfg.eventsPerSession <= 200)) throw new ConfigError(`eventsPerSession must be in 1..200, got ${cfg.eventsPerSession}`)
  if (!(cfg.initialCashCents >= 0)) throw new ConfigError(`initialCashCents must be >= 0, got ${cfg.initialCashCents}`)
  for (const k of RATES) {
    const v = cfg[k]
    if (!(v >= 0 && v <= 1)) throw new ConfigError(`${k} must be a rate in 0..1, got ${v}`)
  }
  return cfg
}
