import { useState, type ChangeEvent } from 'react'
import { formatUsd, quote, type Pricing as PriceList, type PricingTier } from '../../../api.js'
import { track } from '../analytics.js'
import { useJson } from '../data.js'
import { Link } from '../router.js'
import { useDebounced, usePage } from './page.js'

export const TIER_NAMES: Readonly<Record<string, string>> = { starter: 'Starter', pro: 'Pro', enterprise: 'Enterprise' }
export const tierName = (t: string): string => TIER_NAMES[t] ?? t

/** "1–5 taps", "20+ taps": the tap counts the business puts on each tier. */
function tapRange(tiers: readonly PricingTier[], i: number): string {
  const next = tiers[i + 1]
  const min = tiers[i]!.minTaps
  return next === undefined ? `${min}+ taps` : `${min}–${next.minTaps - 1} taps`
}

export function Pricing() {
  usePage('Pricing', 'pricing_viewed')
  const pricing = useJson<PriceList>('/api/pricing')
  if (pricing.error !== undefined) return <><h1>Pricing</h1><p role="alert">Prices are unavailable: {pricing.error}</p></>
  if (pricing.data === undefined) return <><h1>Pricing</h1><p aria-busy="true">Loading prices…</p></>
  const { tiers } = pricing.data
  return (
    <>
      <h1>Pricing</h1>
      <p className="lead">One monthly price per tap. Your tier follows from how many taps you run. Every plan starts with a 14-day free trial.</p>
      <ul className="cards tiers">
        {tiers.map((t, i) => (
          <li key={t.tier} className="card">
            <h2>{tierName(t.tier)}</h2>
            <p className="price">{formatUsd(t.pricePerTapCents)} <span className="muted">per tap / month</span></p>
            <p>{tapRange(tiers, i)}</p>
            <Link to={`/signup?tier=${t.tier}`} className="button">Start free trial<span className="sr-only"> of {tierName(t.tier)}</span></Link>
          </li>
        ))}
      </ul>
      <Calculator tiers={tiers} />
    </>
  )
}

function Calculator({ tiers }: { tiers: PricingTier[] }) {
  const [venues, setVenues] = useState(1)
  const [tapsPerVenue, setTapsPerVenue] = useState(8)
  const q = quote(tiers, venues, tapsPerVenue)
  const report = useDebounced((v: number, t: number) => {
    const r = quote(tiers, v, t)
    if (r.taps > 0) track('pricing_calculator_used', { tier: r.tier, taps: r.taps, venues: r.venues, taps_per_venue: t, monthly_price: r.monthlyCents / 100, currency: 'USD' })
  }, 700)
  const change = (set: (n: number) => void, which: 'venues' | 'taps') => (e: ChangeEvent<HTMLInputElement>) => {
    const n = Math.max(0, Math.min(999, Math.floor(Number(e.target.value) || 0)))
    set(n)
    report(which === 'venues' ? n : venues, which === 'taps' ? n : tapsPerVenue)
  }
  return (
    <section aria-labelledby="calc" className="calculator">
      <h2 id="calc">What would TapFlow cost you?</h2>
      <form onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="calc-venues">Venues</label>
        <input id="calc-venues" name="venues" type="number" min={1} max={999} value={venues} onChange={change(setVenues, 'venues')} />
        <label htmlFor="calc-taps">Taps per venue</label>
        <input id="calc-taps" name="taps" type="number" min={1} max={999} value={tapsPerVenue} onChange={change(setTapsPerVenue, 'taps')} />
      </form>
      <output htmlFor="calc-venues calc-taps" aria-live="polite" className="quote" id="calc-quote">
        {q.taps === 0 ? 'Enter your venues and taps for a price.' : (
          <>
            {q.taps} taps on <strong data-tier={q.tier}>{tierName(q.tier)}</strong> at {formatUsd(q.pricePerTapCents)} per tap:{' '}
            <strong data-monthly-cents={q.monthlyCents}>{formatUsd(q.monthlyCents)}</strong> per month
          </>
        )}
      </output>
      {q.taps > 0 && <p><Link to={`/signup?tier=${q.tier}`} className="button primary">Start a free trial of {tierName(q.tier)}</Link></p>}
    </section>
  )
}
