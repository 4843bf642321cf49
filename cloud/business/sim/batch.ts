import type { Queryable } from '../db/database.js'
import { insertRows, updateRows, type Column } from '../db/bulk.js'

/** Column lists for every table the simulation writes. Order matters: rows are positional. */
export const TABLES = {
  campaigns: [['campaign_id', 'text'], ['name', 'text'], ['channel', 'text'], ['start_day', 'date'], ['end_day', 'date'], ['daily_budget_cents', 'int8'], ['efficiency', 'float8']],
  customers: [['customer_id', 'text'], ['name', 'text'], ['segment', 'text'], ['city', 'text'], ['created_day', 'date'], ['acquisition_channel', 'text'], ['campaign_id', 'text']],
  accounts: [['account_id', 'text'], ['customer_id', 'text'], ['status', 'text'], ['created_day', 'date'], ['sales_rep', 'text'], ['engagement', 'float8'], ['usage_score', 'float8'], ['adoption', 'float8']],
  account_status_changes: [['id', 'int8'], ['account_id', 'text'], ['previous_status', 'text'], ['new_status', 'text'], ['change_day', 'date'], ['change_reason', 'text'], ['sales_rep', 'text'], ['contract_value_cents', 'int8']],
  venues: [['venue_id', 'text'], ['account_id', 'text'], ['name', 'text'], ['city', 'text'], ['taps', 'int4'], ['failure_rate', 'float8'], ['opened_day', 'date'], ['next_line', 'int4'], ['live_devices', 'text']],
  devices: [['device_id', 'text'], ['venue_id', 'text'], ['account_id', 'text'], ['line_id', 'int4'], ['firmware', 'text'], ['installed_day', 'date']],
  trials: [['trial_id', 'text'], ['account_id', 'text'], ['started_day', 'date'], ['ends_day', 'date']],
  subscriptions: [['subscription_id', 'text'], ['account_id', 'text'], ['tier', 'text'], ['licences', 'int4'], ['mrr_cents', 'int8'], ['status', 'text'], ['started_day', 'date'], ['billing_anchor', 'int4'], ['contract_start', 'date'], ['contract_value_cents', 'int8']],
  licence_changes: [['id', 'int8'], ['account_id', 'text'], ['change_day', 'date'], ['change_type', 'text'], ['previous_licences', 'int4'], ['new_licences', 'int4'], ['previous_tier', 'text'], ['new_tier', 'text'], ['previous_mrr_cents', 'int8'], ['new_mrr_cents', 'int8'], ['mrr_delta_cents', 'int8']],
  renewals: [['id', 'int8'], ['account_id', 'text'], ['renewal_day', 'date'], ['previous_contract_value_cents', 'int8'], ['new_contract_value_cents', 'int8'], ['renewal_type', 'text'], ['contract_months', 'int4']],
  invoices: [['id', 'text'], ['customer', 'text'], ['subscription', 'text'], ['status', 'text'], ['billing_reason', 'text'], ['amount_due', 'int8'], ['amount_paid', 'int8'], ['attempt_count', 'int4'], ['next_payment_attempt', 'timestamptz'], ['period_start', 'date'], ['period_end', 'date'], ['created', 'timestamptz']],
  charges: [['id', 'text'], ['invoice', 'text'], ['customer', 'text'], ['amount', 'int8'], ['amount_refunded', 'int8'], ['status', 'text'], ['paid', 'bool'], ['failure_code', 'text'], ['failure_message', 'text'], ['created', 'timestamptz']],
  refunds: [['id', 'text'], ['charge', 'text'], ['amount', 'int8'], ['reason', 'text'], ['created', 'timestamptz']],
  dunning_events: [['id', 'int8'], ['invoice', 'text'], ['account_id', 'text'], ['step', 'text'], ['event_day', 'date']],
  ledger_entries: [['id', 'int8'], ['entry_day', 'date'], ['gl_account', 'text'], ['source_ref', 'text'], ['amount_cents', 'int8']],
  expenses: [['id', 'int8'], ['expense_day', 'date'], ['category', 'text'], ['vendor', 'text'], ['amount_cents', 'int8'], ['cost_breakdown', 'jsonb']],
  teams: [['team_id', 'text'], ['team_name', 'text'], ['function', 'text'], ['headcount', 'int4'], ['salary_per_head_cents', 'int8']],
  salary_payments: [['id', 'int8'], ['team_id', 'text'], ['salary_month', 'date'], ['headcount', 'int4'], ['monthly_salary_total_cents', 'int8']],
  leads: [['lead_id', 'text'], ['created_day', 'date'], ['campaign_id', 'text'], ['source', 'text'], ['company_name', 'text'], ['expected_taps', 'int4'], ['stage', 'text'], ['stage_changed_day', 'date'], ['owner', 'text']],
  lead_stage_changes: [['id', 'int8'], ['lead_id', 'text'], ['from_stage', 'text'], ['to_stage', 'text'], ['change_day', 'date']],
  users: [['user_id', 'text'], ['account_id', 'text'], ['email', 'text'], ['role', 'text'], ['created_day', 'date'], ['activity', 'float8']],
  events: [['id', 'int8'], ['event', 'text'], ['distinct_id', 'text'], ['properties', 'jsonb'], ['timestamp', 'timestamptz'], ['received_at', 'timestamptz']],
  device_failures: [['id', 'int8'], ['venue_id', 'text'], ['account_id', 'text'], ['device_id', 'text'], ['failure_day', 'date'], ['kind', 'text'], ['source', 'text'], ['evidence', 'text']],
  support_tickets: [['ticket_id', 'text'], ['account_id', 'text'], ['venue_id', 'text'], ['device_id', 'text'], ['category', 'text'], ['priority', 'text'], ['status', 'text'], ['opened_day', 'date'], ['difficulty', 'float8'], ['fault_kind', 'text'], ['source', 'text']],
  sim_days: [['day', 'date'], ['source', 'text']],
  venue_days: [['venue_id', 'text'], ['day', 'date'], ['account_id', 'text'], ['live_taps', 'int4'], ['pours', 'int4'], ['litres', 'float8'], ['revenue_at_venue_cents', 'int8'], ['expected_pours', 'float8'], ['downtime_minutes', 'float8'], ['source', 'text']],
  account_health: [['account_id', 'text'], ['day', 'date'], ['health', 'float8'], ['usage_ratio', 'float8'], ['downtime_minutes', 'float8'], ['open_tickets', 'int4'], ['churn_odds', 'float8'], ['expansion_odds', 'float8'], ['source', 'text']],
} as const satisfies Record<string, readonly Column[]>

export type TableName = keyof typeof TABLES

interface PendingUpdate {
  table: string
  key: Column
  columns: readonly Column[]
  rows: unknown[][]
}

/** Rows collected during a simulated day, written in dependency order at the end of it. */
export class Batch {
  private readonly inserts = new Map<TableName, unknown[][]>()
  private readonly updates: PendingUpdate[] = []

  insert(table: TableName, row: unknown[]): void {
    let rows = this.inserts.get(table)
    if (!rows) {
      rows = []
      this.inserts.set(table, rows)
    }
    rows.push(row)
  }

  update(table: string, key: Column, columns: readonly Column[], rows: unknown[][]): void {
    if (rows.length > 0) this.updates.push({ table, key, columns, rows })
  }

  /** Writes inserts in TABLES order (parents first), then updates. Returns rows written. */
  async flush(c: Queryable): Promise<number> {
    let n = 0
    for (const table of Object.keys(TABLES) as TableName[]) {
      const rows = this.inserts.get(table)
      if (rows && rows.length > 0) n += await insertRows(c, table, TABLES[table], rows)
    }
    for (const u of this.updates) n += await updateRows(c, u.table, u.key, u.columns, u.rows)
    return n
  }
}
