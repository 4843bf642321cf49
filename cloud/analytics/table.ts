import { defineTable, type RecordOf } from '../../edge-gateway/index.js'

/**
 * `tapflow.product_events` (created by the gateway's migration 9): PostHog's event shape. Real browser events and the
 * business simulation's visitors land side by side, told apart by `source`. Times travel as epoch milliseconds.
 */
export const PRODUCT_EVENTS = defineTable({
  name: 'tapflow.product_events',
  columns: {
    uuid: 'String',
    event: 'LowCardinality(String)',
    distinct_id: 'String',
    session_id: 'String',
    properties: 'String',
    timestamp: "DateTime64(3, 'UTC')",
    received_at: "DateTime64(3, 'UTC')",
    source: 'LowCardinality(String)',
  },
  key: ['uuid'],
})

export type ProductEventRow = RecordOf<typeof PRODUCT_EVENTS.columns>

/** Where an event came from: a browser through the capture endpoint, or the business simulation. */
export type EventSource = 'real' | 'simulated'

/** One event as code hands it to the ingest API (the endpoint builds the same from posthog-js's payloads). */
export interface ProductEvent {
  /** Unique per event; a retried event with the same uuid collapses on merge. */
  uuid: string
  event: string
  distinct_id: string
  /** posthog-js `$session_id`; '' when there is none. */
  session_id: string
  properties: Record<string, unknown>
  /** When it happened, epoch ms. */
  timestamp: number
}
