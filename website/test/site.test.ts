import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromiumPresent, launchChromium, requirePeers, type ChromiumPeer } from '../../test/peers/index.js'
import { ensureSiteBuilt, WebsiteServer } from '../index.js'
import { RecordingCapture, type RecordedEvent } from './recording-capture.js'
import { requestDemo } from './demo-form.js'

const KEY = 'phc_site_test'
const CODE = 'c0de1234'
const axeSource = (createRequire(import.meta.url)('axe-core') as { source: string }).source
/** Runs in the page: axe-core's serious and critical violations, each with up to three offending elements. */
const AXE_SERIOUS = `axe.run(document).then((r) => r.violations
  .filter((v) => v.impact === 'serious' || v.impact === 'critical')
  .map((v) => v.id + ' (' + v.impact + '): ' + JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))))`

/**
 * The real site with the real posthog-js in Debian's Chromium, against a recording stand-in for the capture
 * endpoint: each taxonomy event arrives with its properties when the visitor does the thing it names.
 */
describe.skipIf(!chromiumPresent() && !requirePeers)('website in headless Chromium', () => {
  let site: WebsiteServer
  let browser: ChromiumPeer
  const capture = new RecordingCapture(KEY)

  beforeAll(async () => {
    ensureSiteBuilt()
    site = new WebsiteServer({
      port: 0, capture, projectKey: KEY, dashboardUrl: 'http://dashboard.invalid',
      accounts: { exists: async (id) => id === 'ACC_000042', codeFor: () => CODE },
    })
    await site.listen()
    browser = await launchChromium()
    // Headless Chromium's user agent is filtered as a bot by posthog-js; a real visitor's browser is not.
    await browser.context.addInitScript({ content: 'window.__TAPFLOW_POSTHOG__ = { opt_out_useragent_filter: true }' })
  })

  afterAll(async () => {
    await browser?.close()
    await site?.close()
  })

  const open = async (path: string): Promise<Page> => {
    const page = await browser.context.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    page.on('close', () => expect(errors).toEqual([]))
    await page.goto(site.url + path)
    await page.waitForSelector('html[data-mounted="true"]')
    return page
  }
  const arrived = (event: string, match: (e: RecordedEvent) => boolean = () => true): Promise<RecordedEvent> =>
    expect.poll(() => capture.named(event).find(match), { timeout: 20_000, interval: 200 }).toBeDefined().then(() => capture.named(event).find(match)!)

  it('Home → Pricing calculator → Features → Docs → demo request: each taxonomy event with its properties', async () => {
    const page = await open('/?utm_source=newsletter&utm_campaign=winter-taps')
    const home = await arrived('home_viewed')
    expect(home.properties.utm_source).toBe('newsletter')
    expect(home.properties.distinct_id).toEqual(expect.any(String))
    expect(home.properties.$session_id).toEqual(expect.any(String))
    await arrived('$pageview')

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Pricing' }).click()
    await page.getByRole('heading', { level: 1, name: 'Pricing' }).waitFor()
    await arrived('pricing_viewed')
    await arrived('$pageview', (e) => String(e.properties.$current_url).endsWith('/pricing'))
    // The business's prices: 24 taps put an account on enterprise, at $79 per tap.
    await page.getByLabel('Venues').fill('3')
    await page.getByLabel('Taps per venue').fill('8')
    await expect.poll(() => page.textContent('#calc-quote')).toContain('$1,896.00')
    const calc = await arrived('pricing_calculator_used', (e) => e.properties.venues === 3 && e.properties.taps === 24)
    expect(calc.properties).toMatchObject({ tier: 'enterprise', taps: 24, venues: 3, monthly_price: 1896 })

    await page.getByRole('link', { name: 'Features' }).first().click()
    await arrived('features_viewed')
    await page.getByRole('button', { name: 'Play the tour' }).first().click()
    expect((await arrived('feature_video_played')).properties).toMatchObject({ feature: 'device-monitoring', video: 'device-monitoring-tour' })

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Docs' }).click()
    await page.getByLabel('Search the docs').fill('gateway')
    const searched = await arrived('documentation_searched')
    expect(searched.properties.query).toBe('gateway')
    expect(searched.properties.results).toBeGreaterThan(0)
    expect(await page.textContent('#docs-results')).toContain(`${String(searched.properties.results)} pages match`)

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Request a demo' }).click()
    await arrived('demo_viewed')
    await requestDemo(page)
    const demo = await arrived('demo_requested')
    expect(demo.properties).toMatchObject({ name: 'Ada Brewer', email: 'ada@brewhouse.example', company: 'Brewhouse Ltd', venues: 4 })
    // Autocapture is on: the clicks above were captured too.
    await arrived('$autocapture')
    // Leaving the site sends $pageleave (sendBeacon as the page unloads).
    await page.goto('about:blank')
    await arrived('$pageleave')
    await page.close()
    expect(new Set(capture.events.map((e) => e.encoding))).toContain('gzip')
  })

  it('signs up from Pricing: signup_started, signup_completed, trial_activated, plan_upgraded', async () => {
    const page = await open('/pricing')
    await page.getByRole('link', { name: 'Start free trial of Pro', exact: true }).click()
    expect((await arrived('signup_started', (e) => e.properties.tier === 'pro')).properties.tier).toBe('pro')
    await page.getByLabel('Your name').fill('Bo Tapster')
    await page.getByLabel('Work email').fill('bo@tapster.example')
    await page.getByLabel('Company').fill('Tapster')
    await page.getByLabel('Venues').fill('2')
    await page.getByLabel('Taps per venue').fill('6')
    await page.getByRole('button', { name: 'Create my account' }).click()
    expect((await arrived('signup_completed')).properties).toMatchObject({ tier: 'pro', email: 'bo@tapster.example', company: 'Tapster', venues: 2, taps: 12 })
    await page.getByRole('button', { name: /Activate my 14-day trial/ }).click()
    expect((await arrived('trial_activated')).properties).toMatchObject({ tier: 'pro', trial_days: 14, taps: 12 })
    await page.getByRole('button', { name: 'Upgrade to Pro now' }).click()
    expect((await arrived('plan_upgraded')).properties).toMatchObject({ from_plan: 'trial', to_plan: 'pro', taps: 12, monthly_price: 708 })
    // identify() tied the visitor to the email.
    expect((await arrived('plan_upgraded')).properties.distinct_id).toBe('bo@tapster.example')
    await page.close()
  })

  it('keyboard only: tabs to the demo form, fills it and submits it with Enter', async () => {
    const page = await open('/demo')
    for (let i = 0; i < 30 && (await page.evaluate('document.activeElement?.id')) !== 'demo-name'; i++) await page.keyboard.press('Tab')
    expect(await page.evaluate('document.activeElement?.id')).toBe('demo-name')
    await page.keyboard.type('Kim Keys')
    await page.keyboard.press('Tab')
    await page.keyboard.type('kim@keys.example')
    await page.keyboard.press('Tab')
    await page.keyboard.type('Keys Bar')
    await page.keyboard.press('Tab')
    await page.keyboard.press('Control+A')
    await page.keyboard.type('2')
    await page.keyboard.press('Enter')
    await page.getByRole('status').waitFor()
    expect(await page.evaluate("document.activeElement?.getAttribute('role')")).toBe('status')
    expect((await arrived('demo_requested', (e) => e.properties.email === 'kim@keys.example')).properties).toMatchObject({ name: 'Kim Keys', company: 'Keys Bar', venues: 2 })
    await page.close()
  })

  it('logs a customer in with account id and code, to the dashboard filtered to their account', async () => {
    const page = await open('/login')
    await page.getByLabel('Account id').fill('ACC_000042')
    await page.getByLabel('Sign-in code').fill('wrong000')
    await page.getByRole('button', { name: 'Log in' }).click()
    expect(await page.getByRole('alert').textContent()).toContain('wrong code for ACC_000042')
    await page.route('http://dashboard.invalid/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<title>dashboard</title>' }))
    await page.getByLabel('Sign-in code').fill(CODE)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.waitForURL('http://dashboard.invalid/**')
    expect(page.url()).toBe('http://dashboard.invalid/#/fleet/ACC_000042')
    await page.close()
  })

  it('has no serious or critical axe-core violations on any page', async () => {
    for (const path of ['/', '/features', '/pricing', '/demo', '/docs', '/docs/models', '/login', '/signup?tier=starter', '/no-such-page']) {
      const page = await open(path)
      await page.waitForLoadState('networkidle')
      await page.addScriptTag({ content: axeSource })
      const violations = await page.evaluate(AXE_SERIOUS)
      expect(violations, path).toEqual([])
      await page.close()
    }
  })
})
