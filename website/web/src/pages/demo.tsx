import { useState, type FormEvent } from 'react'
import { track } from '../analytics.js'
import { ContactFields } from './contact-fields.js'
import { usePage } from './page.js'

export function Demo() {
  usePage('Request a demo', 'demo_viewed')
  const [sent, setSent] = useState<string | undefined>(undefined)
  const submit = (e: FormEvent<HTMLFormElement>): void => {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    const text = (k: string): string => String(f.get(k) ?? '').trim()
    const email = text('email')
    // The request travels as the demo_requested event; TapFlow's capture endpoint turns it into a sales lead.
    track('demo_requested', { name: text('name'), email, company: text('company'), venues: Number(text('venues')) })
    setSent(email)
  }
  return (
    <section className="narrow">
      <h1>Request a demo</h1>
      <p className="lead">Tell us about your venues and we will show you TapFlow on taps like yours, within two working days.</p>
      {sent === undefined ? (
        <form className="stack" onSubmit={submit} aria-label="Demo request">
          <ContactFields prefix="demo" venuesLabel="Number of venues" maxVenues={10000} />
          <button type="submit" className="primary">Request my demo</button>
        </form>
      ) : (
        <p ref={(el) => el?.focus()} tabIndex={-1} role="status" className="notice">Thank you. We will write to {sent} to set up your demo.</p>
      )}
    </section>
  )
}
