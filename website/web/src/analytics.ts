// posthog-js from npm, unmodified: its slim 'no-external' build, which never loads a script from elsewhere (no CDN),
// with the analytics extensions (autocapture, SPA pageviews, heatmaps…) and feature flags, half the size of the
// full build (no session recorder, surveys, toolbar). api_host is this site's own origin, where TapFlow's capture
// endpoint answers.
import posthog, { type PostHogConfig } from 'posthog-js/dist/module.slim.no-external'
import { AnalyticsExtensions, FeatureFlagsExtensions } from 'posthog-js/dist/extension-bundles'
import type { SiteConfig } from '../../api.js'

/** The seed's event taxonomy (section 3): page views, actions, conversions. */
export type TaxonomyEvent =
  | 'home_viewed' | 'pricing_viewed' | 'features_viewed' | 'demo_viewed'
  | 'demo_requested' | 'pricing_calculator_used' | 'feature_video_played' | 'documentation_searched'
  | 'signup_started' | 'signup_completed' | 'trial_activated' | 'plan_upgraded'

type Props = Record<string, string | number | boolean | null>

declare global {
  interface Window {
    /**
     * Extra posthog-js options set before the bundle runs (tests: `opt_out_useragent_filter: true`, since headless
     * Chromium's user agent is filtered as a bot).
     */
    __TAPFLOW_POSTHOG__?: Partial<PostHogConfig>
  }
}

/** utm_source → the business's channel names (cloud/analytics/visitors.ts tags its campaigns the same way). */
const CHANNEL_OF: Readonly<Record<string, string>> = { google: 'google_ads', linkedin: 'linkedin', newsletter: 'email' }

/**
 * The visitor's first-touch campaign and channel, as the simulated visitors carry them, so that real and simulated
 * visitors share one funnel by campaign and channel (the Growth view).
 */
function attribution(): Props {
  const q = new URLSearchParams(window.location.search)
  const source = q.get('utm_source')
  const referred = document.referrer !== '' && new URL(document.referrer).origin !== window.location.origin
  return { campaign: q.get('utm_campaign'), channel: source !== null ? (CHANNEL_OF[source] ?? source) : referred ? 'referral' : 'direct' }
}

let state: 'waiting' | 'on' | 'off' = 'waiting'
const pending: [TaxonomyEvent, Props][] = []

/** Starts posthog-js once the server said which project key its capture endpoint takes (null: analytics off). */
export function startAnalytics(config: SiteConfig): void {
  if (state !== 'waiting') return
  if (config.projectKey === null) {
    state = 'off'
    pending.length = 0
    return
  }
  posthog.init(config.projectKey, {
    api_host: window.location.origin,
    autocapture: true,
    // A single-page site: every route change is a $pageview, not only the first load.
    capture_pageview: 'history_change',
    capture_pageleave: true,
    disable_session_recording: true,
    disable_surveys: true,
    persistence: 'localStorage+cookie',
    // posthog-js flushes every 3 s by default; 0.5 s keeps browser-to-queryable within the 2 s the issue asks.
    request_queue_config: { flush_interval_ms: 500 },
    __extensionClasses: { ...AnalyticsExtensions, ...FeatureFlagsExtensions },
    ...window.__TAPFLOW_POSTHOG__,
  })
  posthog.register_once(attribution())
  state = 'on'
  for (const [event, props] of pending.splice(0)) posthog.capture(event, props)
}

/** Captures a taxonomy event; events from before posthog-js started are held and sent once it has. */
export function track(event: TaxonomyEvent, props: Props = {}): void {
  if (state === 'on') posthog.capture(event, props)
  else if (state === 'waiting') pending.push([event, props])
}

/** Ties the visitor's events to a person (a signed-up email or a signed-in account). */
export function identify(id: string, props: Props = {}): void {
  if (state === 'on') posthog.identify(id, props)
}
