import { createHash } from 'node:crypto'
import type { ClickHouseClient } from '@clickhouse/client'
import { errorMessage, silentLogger, type Logger } from '../../common/index.js'
import type { Queryable } from '../business/db/database.js'
import type { EngagementEventSource, ImportedEvent } from '../business/pipelines/engagement.js'
import { ProductEventWriter } from './ingest.js'
import { simulatedPrefix, simulatedVisitors } from './visitors.js'

export interface WebsiteEventsOptions {
  /** ClickHouse holding `tapflow.product_events`, or a promise of it (the company starts before ClickHouse). Required. */
  client: ClickHouseClient | Promise<ClickHouseClient>
  /** Writes the simulated visitors. Default: its own ProductEventWriter on `client`, closed by `close`. */
  writer?: ProductEventWriter
  /** Default: silent. */
  logger?: Logger
}

/**
 * The business's side of the website's analytics, run by its DAG as each day's engagement step starts (the day's
 * marketing and sales are simulated by then): emits the day's simulated visitors into `tapflow.product_events`
 * (once per day), then hands the engagement pipeline every event of that day from the table, real and simulated,
 * so website visitors count in engagement and the investor report. A ClickHouse failure is logged and the day's
 * engagement runs on the simulation's own events, rather than failing the business day.
 */
export class WebsiteEvents implements EngagementEventSource, AsyncDisposable {
  private readonly client: Promise<ClickHouseClient>
  private writer: ProductEventWriter | undefined
  private readonly ownsWriter: boolean
  private readonly log: Logger

  constructor(o: WebsiteEventsOptions) {
    this.client = Promise.resolve(o.client)
    this.client.catch(() => undefined) // reported where it is awaited
    this.writer = o.writer
    this.ownsWriter = o.writer === undefined
    this.log = (o.logger ?? silentLogger).child({ component: 'website-events' })
  }

  async eventsOf(c: Queryable, day: string): Promise<ImportedEvent[]> {
    try {
      const client = await this.client
      await this.emitVisitors(c, client, day)
      return await readDay(client, day)
    } catch (err) {
      this.log.warn({ day, err: errorMessage(err) }, 'website events not read; engagement counts the simulation’s own events only')
      return []
    }
  }

  /** Emits the day's simulated visitors unless an earlier run did (a re-run of the day, a backfill). */
  private async emitVisitors(c: Queryable, client: ClickHouseClient, day: string): Promise<void> {
    const rs = await client.query({
      query: "SELECT count() AS n FROM tapflow.product_events WHERE source = 'simulated' AND startsWith(uuid, {p:String})",
      query_params: { p: simulatedPrefix(day) }, format: 'JSONEachRow',
    })
    const [have] = await rs.json<{ n: string }>()
    if (Number(have?.n ?? 0) > 0) return
    const seed = (await c.query<{ seed: number }>('SELECT seed FROM sim_state WHERE id = 1')).rows[0]?.seed ?? 42
    const events = await simulatedVisitors(c, seed, day)
    this.writer ??= new ProductEventWriter({ client, logger: this.log })
    this.writer.write(events, 'simulated')
    await this.writer.flush()
    this.log.debug({ day, events: events.length }, 'simulated visitors emitted')
  }

  async close(): Promise<void> {
    if (this.ownsWriter) await this.writer?.close()
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

/** Every product event stamped on `day`, as the business's `events` table holds them (on time: received = stamped). */
async function readDay(client: ClickHouseClient, day: string): Promise<ImportedEvent[]> {
  const rs = await client.query({
    query: `SELECT uuid, event, distinct_id, properties, toUnixTimestamp64Milli(timestamp) AS ts FROM tapflow.product_events FINAL
      WHERE timestamp >= toDateTime64({d:Date}, 3, 'UTC') AND timestamp < toDateTime64({d:Date} + 1, 3, 'UTC')`,
    query_params: { d: day }, format: 'JSONEachRow',
  })
  const rows = await rs.json<{ uuid: string; event: string; distinct_id: string; properties: string; ts: string | number }>()
  return rows.map((r) => {
    const ts = Number(r.ts)
    let properties: Record<string, unknown>
    try {
      properties = JSON.parse(r.properties) as Record<string, unknown>
    } catch {
      properties = {}
    }
    return { id: eventId(r.uuid), event: r.event, distinct_id: r.distinct_id, properties, timestamp: ts, received_at: ts }
  })
}

/** A negative id from the uuid: stable, so importing twice is a no-op, and never one of the simulation's own ids. */
export function eventId(uuid: string): number {
  return -(parseInt(createHash('sha256').update(uuid).digest('hex').slice(0, 13), 16) + 1)
}
