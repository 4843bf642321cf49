import { useEffect, useRef, useState, type FormEvent } from 'react'
import { formatUsd, quote, type Pricing } from '../../../api.js'
import { identify, track } from '../analytics.js'
import { useJson } from '../data.js'
import { tierName } from './pricing.js'
import { ContactFields } from './contact-fields.js'
import { usePage } from './page.js'

const TRIAL_DAYS = 14

type Step = { at: 'details' } | { at: 'trial' | 'active' | 'paid'; venues: number; taps: number }

/** Sign-up: details (signup_started on arrival, signup_completed on submit) → start the trial → upgrade to paid. */
export function Signup({ tier: asked }: { tier: string | undefined }) {
  const pricing = useJson<Pricing>('/api/pricing')
  const tiers = pricing.data?.tiers ?? []
  const chosen = tiers.find((t) => t.tier === asked)
  const tier = chosen?.tier ?? asked ?? 'starter'
  usePage('Start your free trial', 'signup_started', { tier })
  const [step, setStep] = useState<Step>({ at: 'details' })
  const heading = useRef<HTMLHeadingElement>(null)
  // Each step replaces the form: start keyboard and screen-reader users at its heading.
  useEffect(() => {
    if (step.at !== 'details') heading.current?.focus()
  }, [step.at])

  const submit = (e: FormEvent<HTMLFormElement>): void => {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    const text = (k: string): string => String(f.get(k) ?? '').trim()
    const venues = Number(text('venues'))
    const taps = venues * Number(text('taps'))
    identify(text('email'), { email: text('email'), company: text('company') })
    // The business puts an account on the tier its tap count falls in, whichever card the visitor clicked.
    track('signup_completed', { tier: quote(tiers, venues, taps / venues).tier, chosen_tier: tier, email: text('email'), company: text('company'), name: text('name'), venues, taps })
    setStep({ at: 'trial', venues, taps })
  }
  const q = step.at === 'details' ? undefined : quote(tiers, step.venues, step.taps / Math.max(1, step.venues))

  return (
    <section className="narrow">
      <h1 ref={heading} tabIndex={-1}>{step.at === 'details' ? `Start your free trial of ${tierName(tier)}` : step.at === 'paid' ? 'Welcome to TapFlow' : 'Your account is ready'}</h1>
      {step.at === 'details' && pricing.data === undefined && <p aria-busy="true">Loading…</p>}
      {step.at === 'details' && pricing.data !== undefined && (
        <form className="stack" onSubmit={submit} aria-label="Sign up">
          <ContactFields prefix="su" venuesLabel="Venues" maxVenues={999} />
          <label htmlFor="su-taps">Taps per venue</label>
          <input id="su-taps" name="taps" type="number" min={1} max={999} defaultValue={chosen?.minTaps ?? 1} required />
          <button type="submit" className="primary">Create my account</button>
        </form>
      )}
      {step.at === 'trial' && q !== undefined && (
        <>
          <p>Your {TRIAL_DAYS}-day trial covers {step.taps} taps in {step.venues} {step.venues === 1 ? 'venue' : 'venues'}. Nothing is billed until it ends.</p>
          <button type="button" className="primary" onClick={() => {
            track('trial_activated', { tier: q.tier, trial_days: TRIAL_DAYS, taps: step.taps, venues: step.venues })
            setStep({ ...step, at: 'active' })
          }}>Activate my {TRIAL_DAYS}-day trial</button>
        </>
      )}
      {step.at === 'active' && q !== undefined && (
        <>
          <p role="status">Your trial is active. Your taps will show on the dashboard once they are installed.</p>
          <p>Keep TapFlow after the trial: {q.taps} taps on {tierName(q.tier)} cost {formatUsd(q.monthlyCents)} per month.</p>
          <button type="button" className="primary" onClick={() => {
            track('plan_upgraded', { from_plan: 'trial', to_plan: q.tier, taps: q.taps, venues: q.venues, monthly_price: q.monthlyCents / 100 })
            setStep({ ...step, at: 'paid' })
          }}>Upgrade to {tierName(q.tier)} now</button>
        </>
      )}
      {step.at === 'paid' && <p role="status">You are on {tierName(q?.tier ?? tier)}. Thank you for choosing TapFlow.</p>}
    </section>
  )
}
