import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { TIER_PRICE_CENTS, tierFor } from '../../cloud/index.js'
import { quote } from '../api.js'
import { renderDocs } from '../src/docs.js'
import { businessPricing } from '../src/pricing.js'
import { search } from '../web/src/search.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

describe('pricing calculator', () => {
  const { tiers } = businessPricing()

  it('serves the business’s own tiers, cheapest threshold first', () => {
    expect(tiers.map((t) => t.tier)).toEqual(['starter', 'pro', 'enterprise'])
    for (const t of tiers) expect(t.pricePerTapCents).toBe(TIER_PRICE_CENTS[t.tier])
    for (const t of tiers) expect(tierFor(t.minTaps)).toBe(t.tier)
    for (const t of tiers.slice(1)) expect(tierFor(t.minTaps - 1)).not.toBe(t.tier)
  })

  it('quotes what the business bills: the tier tierFor picks, price per tap × taps', () => {
    for (let venues = 1; venues <= 6; venues++) {
      for (let perVenue = 1; perVenue <= 12; perVenue++) {
        const taps = venues * perVenue
        const q = quote(tiers, venues, perVenue)
        expect(q).toEqual({ tier: tierFor(taps), taps, venues, pricePerTapCents: TIER_PRICE_CENTS[tierFor(taps)], monthlyCents: TIER_PRICE_CENTS[tierFor(taps)]! * taps })
      }
    }
    expect(quote(tiers, 3, 8)).toMatchObject({ tier: 'enterprise', taps: 24, monthlyCents: 189_600 })
    expect(quote(tiers, 0, 8).monthlyCents).toBe(0)
  })
})

describe('docs', () => {
  const pages = renderDocs(ROOT)

  it('renders README.md first, then docs/*.md, with links and images pointing at the site’s routes', () => {
    expect(pages[0]).toMatchObject({ slug: 'readme', file: 'README.md', title: 'TapFlow' })
    expect(pages.map((p) => p.file)).toContain('docs/models.md')
    const readme = pages[0]!.html
    expect(readme).toContain('href="/docs/guarantees"')
    expect(readme).toContain('src="/files/docs/screenshots/fleet.png"')
    expect(readme).not.toMatch(/href="docs\//)
    expect(readme).toContain('<pre tabindex="0">')
  })

  it('search finds pages holding every word, most mentions first', () => {
    const hits = search(pages, 'edge gateway')
    expect(hits.length).toBeGreaterThan(0)
    expect(hits[0]!.page.slug).toBe('readme')
    for (const h of hits) expect(h.page.text.toLowerCase()).toContain('gateway')
    expect(hits.map((h) => h.count)).toEqual([...hits.map((h) => h.count)].sort((a, b) => b - a))
    expect(search(pages, 'zzqx-nothing')).toEqual([])
    expect(search(pages, '   ')).toEqual([])
  })
})
