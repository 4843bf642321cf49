import { useEffect, useState } from 'react'
import { track } from '../analytics.js'
import { Link } from '../router.js'
import { usePage } from './page.js'

/** The seed's four product features, each with a short narrated tour (an animation of captions, not a video file). */
const FEATURES: { id: string; title: string; points: string[]; tour: string[] }[] = [
  {
    id: 'device-monitoring', title: 'Device monitoring',
    points: ['Real-time pour tracking', 'Temperature monitoring', 'Maintenance predictions', 'Offline detection'],
    tour: ['A guest orders a pint: the tap meters 568 ml and publishes the pour.', 'The gateway lands it in ClickHouse within a second.', 'A drifting flow sensor raises a warning days before it fails.'],
  },
  {
    id: 'inventory', title: 'Inventory management',
    points: ['Automated depletion tracking', 'Reorder suggestions', 'Waste analysis', 'Cost optimization'],
    tour: ['Each keg’s level falls with every pour.', 'The demand forecast says which keg runs dry tomorrow.', 'Reorder before Friday, not during it.'],
  },
  {
    id: 'sales-analytics', title: 'Sales analytics',
    points: ['Revenue by product, time and location', 'Bartender performance', 'Peak hour analysis', 'Pricing optimization'],
    tour: ['Revenue by beverage and by hour, in local time.', 'See the peak hours of each venue.', 'Compare venues across the group.'],
  },
  {
    id: 'customer-insights', title: 'Customer insights',
    points: ['Popular drinks', 'Seasonal trends', 'Event impact analysis', 'Loyalty program integration'],
    tour: ['What sells on match nights.', 'How summer shifts the mix.', 'Which new beer is worth a second tap.'],
  },
]

const STEP_MS = 2500

export function Features() {
  usePage('Features', 'features_viewed')
  return (
    <>
      <h1>Features</h1>
      <p className="lead">One meter per tap, one platform for the whole bar: from the cellar’s temperature to the night’s revenue.</p>
      <ul className="cards two">
        {FEATURES.map((f) => (
          <li key={f.id} className="card">
            <h2>{f.title}</h2>
            <ul>{f.points.map((p) => <li key={p}>{p}</li>)}</ul>
            <Tour feature={f.id} title={f.title} steps={f.tour} />
          </li>
        ))}
      </ul>
      <p><Link to="/pricing" className="button primary">See pricing</Link></p>
    </>
  )
}

function Tour({ feature, title, steps }: { feature: string; title: string; steps: string[] }) {
  const [step, setStep] = useState<number | undefined>(undefined)
  useEffect(() => {
    if (step === undefined || step >= steps.length - 1) return
    const t = setTimeout(() => setStep(step + 1), STEP_MS)
    return () => clearTimeout(t)
  }, [step, steps.length])
  const play = (): void => {
    setStep(0)
    track('feature_video_played', { feature, video: `${feature}-tour`, duration_s: (steps.length * STEP_MS) / 1000 })
  }
  return (
    <figure className="tour">
      <div className="screen" aria-live="polite">{step === undefined ? <span>Tour: {title}</span> : <span>{steps[step]}</span>}</div>
      <figcaption>
        <button type="button" onClick={play}>{step === undefined ? 'Play the tour' : 'Replay the tour'}</button>
        {step !== undefined && <span className="muted"> {step + 1} / {steps.length}</span>}
      </figcaption>
    </figure>
  )
}
