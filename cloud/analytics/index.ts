/** Product analytics: PostHog's capture protocol into `tapflow.product_events`, simulated visitors, demo requests → leads. */
export { CaptureEndpoint, DEFAULT_PROJECT_KEY, DEMO_REQUESTED, type CaptureEndpointOptions, type CaptureStats } from './endpoint.js'
export { ProductEventWriter, DEFAULT_EVENT_BATCH, type ProductEventWriterOptions } from './ingest.js'
export { CaptureError, type CaptureCode } from './errors.js'
export { DEFAULT_RATE_LIMIT, type RateLimit } from './rate-limit.js'
export { PRODUCT_EVENTS, type ProductEvent, type ProductEventRow, type EventSource } from './table.js'
export { LeadSink, LeadError, type LeadSinkOptions } from './leads.js'
export { WebsiteEvents, type WebsiteEventsOptions } from './website-events.js'
export { simulatedVisitors, simulatedPrefix } from './visitors.js'
