import type { Feature, FeatureType, FeatureView } from './types.js'
import { fixed, ratio } from './sql.js'

/**
 * Customer (account) features from the business itself: PostgreSQL, read by ClickHouse through `{pg:<table>}`
 * (the postgresql() table function, or a ClickHouse copy of the tables; see FeatureStoreOptions.business).
 *
 * Point in time: the business is written by a daily DAG that closes each simulated day at midnight, so every
 * business fact counts from the END of its day (`dayEnd`), the moment it exists in PostgreSQL: a row at 14:00 sees
 * yesterday's books, as a model served at 14:00 would. Only day columns that are set when something happens
 * (`created_day`, `opened_day`, `resolved_day`, `installed_day`, `decommissioned_day`, charges' `created`) give
 * event rows; mutable state (`status`, `health`) is never read, so no later change leaks into an earlier row.
 */

const D = 86_400_000
const OWNER = 'ml-platform@tapflow'
const f = (name: string, type: FeatureType, description: string, sql: string): Feature => ({ name, type, description, sql })

/** ms at the end of a business day (a Date column or expression): when the DAG has written it. */
const dayEnd = (day: string): string => `(toInt64(toUnixTimestamp(toDateTime(toDate(${day}), 'UTC'))) * 1000 + ${D})`

/**
 * A row with nothing in it at the end of the day each account was opened: so an account without tickets (or
 * charges, or taps) has zero of them rather than no row (NULL) within the TTL.
 */
const opened = (cols: string): string => `UNION ALL SELECT account_id, ${dayEnd('created_day')}, 2, ${cols} FROM {pg:accounts}`

/** Keeps a business source's rows of the requested entities in the range the query reads. */
const within = (inner: string): string => `SELECT * FROM (${inner}) WHERE entity_id IN {entities} AND ts_ms > {from} AND ts_ms <= {to}`

const customerTenure: FeatureView = {
  name: 'customer_tenure', entity: 'customer', owner: OWNER, version: 1, ttlMs: 3650 * D,
  description: 'The account\'s age: from the day it was opened', source: 'PostgreSQL accounts',
  sourceSql: within(`SELECT account_id AS entity_id, ${dayEnd('created_day')} AS ts_ms, 0 AS __order,
    toInt64(toUnixTimestamp(toDateTime(toDate(created_day), 'UTC'))) * 1000 AS created_ms FROM {pg:accounts}`),
  values: { created: 'toInt64(created_ms)' },
  sums: {},
  windows: {},
  features: [f('days_active', 'int64', 'Days since the account was opened (its tenure)', 'intDiv(__row_ts - created, 86400000)')],
}

const customerBilling: FeatureView = {
  name: 'customer_billing', entity: 'customer', owner: OWNER, version: 1, ttlMs: 3650 * D,
  description: 'Charges to the account: revenue collected, failed payments', source: 'PostgreSQL charges',
  sourceSql: within(`SELECT customer AS entity_id, ${dayEnd("toDate(created, 'UTC')")} AS ts_ms, 0 AS __order,
    status, toInt64(amount) AS amount, toInt64(amount_refunded) AS amount_refunded FROM {pg:charges}
    ${opened("'', toInt64(0), toInt64(0)")}`),
  values: {},
  sums: {
    ok: "toInt64(status = 'succeeded')", bad: "toInt64(status = 'failed')",
    net: "if(status = 'succeeded', amount - amount_refunded, 0)",
  },
  windows: { '30d': 30 * D, '90d': 90 * D, all: 3650 * D },
  features: [
    f('total_revenue', 'float64', 'Revenue collected from the account over its life, net of refunds ($)', 'net__all / 100'),
    f('revenue_30d', 'float64', 'Revenue collected over the last 30 days, net of refunds ($)', 'net__30d / 100'),
    f('payment_reliability', 'float64', 'Share of charge attempts that succeeded over 90 days (0..1)', ratio('ok__90d', 'ok__90d + bad__90d')),
    f('failed_payments_90d', 'int64', 'Failed charge attempts over 90 days', 'bad__90d'),
  ],
}

const customerDevices: FeatureView = {
  name: 'customer_devices', entity: 'customer', owner: OWNER, version: 1, ttlMs: 3650 * D,
  description: 'Taps in service at the account\'s venues: installs minus decommissions', source: 'PostgreSQL devices',
  sourceSql: within(`SELECT account_id AS entity_id, ${dayEnd('installed_day')} AS ts_ms, 0 AS __order, toInt64(1) AS delta FROM {pg:devices}
    UNION ALL SELECT account_id, ${dayEnd('assumeNotNull(decommissioned_day)')}, 1, toInt64(-1) FROM {pg:devices} WHERE decommissioned_day IS NOT NULL
    ${opened('toInt64(0)')}`),
  values: {},
  sums: { dn: 'delta', din: 'toInt64(delta > 0)', dout: 'toInt64(delta < 0)' },
  windows: { '30d': 30 * D, all: 3650 * D },
  features: [
    f('device_count', 'int64', 'Taps in service at the account\'s venues', 'dn__all'),
    f('taps_installed_30d', 'int64', 'Taps installed over 30 days', 'din__30d'),
    f('taps_decommissioned_30d', 'int64', 'Taps taken out of service over 30 days', 'dout__30d'),
  ],
}

const customerSupport: FeatureView = {
  name: 'customer_support', entity: 'customer', owner: OWNER, version: 1, ttlMs: 3650 * D,
  description: 'Support tickets the account opened, and how many are still open', source: 'PostgreSQL support_tickets',
  sourceSql: within(`SELECT account_id AS entity_id, ${dayEnd('opened_day')} AS ts_ms, 0 AS __order, toInt64(1) AS delta FROM {pg:support_tickets}
    UNION ALL SELECT account_id, ${dayEnd('assumeNotNull(resolved_day)')}, 1, toInt64(-1) FROM {pg:support_tickets} WHERE resolved_day IS NOT NULL
    ${opened('toInt64(0)')}`),
  values: {},
  sums: { opened: 'toInt64(delta > 0)', open: 'delta' },
  windows: { '30d': 30 * D, all: 3650 * D },
  features: [
    f('support_tickets_30d', 'int64', 'Support tickets opened over 30 days', 'opened__30d'),
    f('open_support_tickets', 'int64', 'Support tickets open at the time', 'open__all'),
  ],
}

/** One row per account and day: the daily DAG's usage of all the account's venues (history and measured days). */
const customerDays: FeatureView = {
  name: 'customer_days', entity: 'customer', owner: OWNER, version: 1, ttlMs: 3 * D,
  description: 'Daily usage across the account\'s venues, as the business books it', source: 'PostgreSQL venue_days',
  sourceSql: within(`SELECT account_id AS entity_id, ${dayEnd('day')} AS ts_ms, 0 AS __order, sum(pours) AS pours, sum(litres) AS litres,
    sum(downtime_minutes) AS downtime FROM {pg:venue_days} GROUP BY account_id, day`),
  values: {},
  sums: { l: fixed('litres', 1000), p: 'toInt64(pours)', active: 'toInt64(pours > 0)', down: fixed('downtime', 1000) },
  windows: { '7d': 7 * D, '14d': 14 * D, '30d': 30 * D },
  features: [
    f('usage_trend_7d', 'float64', 'Litres of the last 7 days over the 7 days before, minus 1', `${ratio('l__7d', 'l__14d - l__7d')} - 1`),
    f('litres_7d', 'float64', 'Litres poured across the account\'s venues over 7 days', 'l__7d / 1000'),
    f('pours_30d', 'int64', 'Pours across the account\'s venues over 30 days', 'p__30d'),
    f('active_days_30d', 'int64', 'Days of the last 30 with at least one pour', 'active__30d'),
    f('downtime_hours_30d', 'float64', 'Tap downtime across the account\'s venues over 30 days (hours)', 'down__30d / 60000'),
  ],
}

export const BUSINESS_VIEWS: readonly FeatureView[] = [customerTenure, customerBilling, customerDevices, customerSupport, customerDays]

/** Whether a view reads the business (PostgreSQL). */
export const readsBusiness = (v: FeatureView): boolean => v.sourceSql.includes('{pg:')
