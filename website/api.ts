/**
 * What the site server and the site in the browser share: the JSON shapes of /api/* and the price quote, so the
 * calculator in the browser and the business's billing (`mrrFor`: price per tap of the tier × taps) agree.
 * Imported by the browser bundle too: no Node imports here.
 */

/** One tier of the business's price list (`cloud/business`: tiers table, TIER_PRICE_CENTS, tierFor). */
export interface PricingTier {
  tier: string
  /** Monthly price of one tap on this tier, in cents. */
  pricePerTapCents: number
  /** The fewest taps an account on this tier has (the business puts an account on a tier by its tap count). */
  minTaps: number
}

/** GET /api/pricing */
export interface Pricing {
  currency: 'USD'
  /** Cheapest first, by minTaps. */
  tiers: PricingTier[]
}

/** GET /api/site-config: what the browser needs before it starts posthog-js and the login form. */
export interface SiteConfig {
  /** PostHog project key the capture endpoint accepts; null when the stack has no capture endpoint (no analytics). */
  projectKey: string | null
  /** 'account-id': a local stack, the account id alone signs in; 'account-code': the id and its per-account code. */
  loginMode: 'account-id' | 'account-code'
}

/** GET /api/docs: README.md and docs/*.md, rendered on the server. */
export interface DocPage {
  slug: string
  title: string
  /** Source file, relative to the repository (README.md, docs/models.md). */
  file: string
  html: string
  /** Plain text for the search box. */
  text: string
}

/** POST /api/login answer. */
export interface LoginResult {
  accountId: string
  /** The dashboard's fleet view, filtered to this account. */
  dashboardUrl: string
}

export interface Quote {
  tier: string
  taps: number
  venues: number
  pricePerTapCents: number
  monthlyCents: number
}

/** The tier the business would put `taps` taps on, and the monthly price: price per tap × taps. */
export function quote(tiers: readonly PricingTier[], venues: number, tapsPerVenue: number): Quote {
  const taps = Math.max(0, venues) * Math.max(0, tapsPerVenue)
  let chosen = tiers[0]
  for (const t of tiers) if (taps >= t.minTaps && t.minTaps >= (chosen?.minTaps ?? 0)) chosen = t
  const pricePerTapCents = chosen?.pricePerTapCents ?? 0
  return { tier: chosen?.tier ?? 'none', taps, venues, pricePerTapCents, monthlyCents: pricePerTapCents * taps }
}

/** $1,234.00 */
export function formatUsd(cents: number): string {
  return (cents / 100).toLocaleString('en-US', { style: 'currency', currency: 'USD' })
}

/** The ids the business gives accounts (ACC_000042). */
export const ACCOUNT_ID = /^ACC_\d{6}$/
