import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { CaptureEndpoint, DEFAULT_PROJECT_KEY, type ProductEvent } from '../cloud/index.js'
import type { ClickHouseClient } from '../edge-gateway/index.js'
import type { Logger } from '../common/index.js'
import { WebsiteServer } from '../website/index.js'
import { fleetKeyPath } from './stack.js'

export interface WebsiteUpOptions {
  host: string
  /** --site-port. 0 picks a free one. */
  port: number
  dataDir: string
  /** Where a signed-in customer goes: the dashboard's fleet view, filtered to their account. */
  dashboardUrl: string
  /** Accounts are looked up in tapflow.accounts (the business's accounts, copied for the dashboards); events land in tapflow.product_events. */
  client: ClickHouseClient
  /** A demo request from the site becomes a lead in the business (the company run's LeadSink). Default: none (no business). */
  onDemandRequest?: (event: ProductEvent) => Promise<void>
  logger: Logger
}

export interface WebsiteUp {
  site: WebsiteServer
  /** An account with taps and its code, for the banner. */
  example: { accountId: string; code: string } | undefined
  close(): Promise<void>
}

/**
 * A customer's sign-in code: HMAC-SHA256 of the account id under the stack's fleet secret (<data-dir>/security/fleet.key),
 * with its own label, so it opens nothing else. A demo-grade login: anyone who can read the data dir can make codes.
 */
export function siteLoginCode(secret: Buffer, accountId: string): string {
  return createHmac('sha256', secret).update(`site-login:${accountId}`).digest('hex').slice(0, 8)
}

/**
 * `tapflow up`'s product website: the React site, its login against the business's accounts, and PostHog's capture
 * protocol on the same origin (cloud/analytics), so the real posthog-js in the browser sends to TapFlow.
 */
export async function startWebsite(o: WebsiteUpOptions): Promise<WebsiteUp> {
  const secret = Buffer.from(readFileSync(fleetKeyPath(o.dataDir), 'utf8').trim(), 'hex')
  const query = async (sql: string, id?: string): Promise<string[]> => {
    const rs = await o.client.query({ query: sql, query_params: id === undefined ? {} : { id }, format: 'JSONEachRow' })
    return ((await rs.json()) as { account_id: string }[]).map((r) => r.account_id)
  }
  const capture = new CaptureEndpoint({ client: o.client, onDemandRequest: o.onDemandRequest, logger: o.logger })
  const site = new WebsiteServer({
    host: o.host, port: o.port, dashboardUrl: o.dashboardUrl, logger: o.logger,
    capture, projectKey: DEFAULT_PROJECT_KEY,
    accounts: {
      // tapflow.accounts is copied after each business day; the fleet's devices carry their account from the start.
      exists: async (id) => (await query('SELECT {id:String} AS account_id WHERE {id:String} IN (SELECT account_id FROM tapflow.accounts) OR {id:String} IN (SELECT account_id FROM tapflow.devices)', id)).length > 0,
      codeFor: (id) => siteLoginCode(secret, id),
    },
  })
  try {
    await site.listen()
  } catch (err) {
    await capture.close()
    throw err
  }
  const first = await query("SELECT account_id FROM tapflow.devices WHERE account_id != '' AND decommissioned_at IS NULL ORDER BY account_id LIMIT 1").catch(() => [])
  const accountId = first[0]
  return { site, example: accountId === undefined ? undefined : { accountId, code: siteLoginCode(secret, accountId) }, close: async () => {
    await site.close()
    await capture.close()
  } }
}

/** The banner's site line. */
export function websiteBanner(w: WebsiteUp): string {
  const login = w.example === undefined ? '' : `  (log in as ${w.example.accountId}, code ${w.example.code})`
  return `  website  ${w.site.url}${login}\n`
}
