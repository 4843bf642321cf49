import { Link } from '../router.js'
import { usePage } from './page.js'

const POINTS: [string, string][] = [
  ['Every pour, counted', 'Each tap reports its pours over MQTT as they happen: volume, beverage and line, on a live dashboard.'],
  ['Cold kegs, no surprises', 'Line and keg temperatures every minute, with an alert before the beer goes warm.'],
  ['Fixed before it fails', 'Models trained on the fleet’s own failures flag taps that are about to break, and open the ticket.'],
]

export function Home() {
  usePage('Smart taps for bars and restaurants', 'home_viewed')
  return (
    <>
      <section className="hero">
        <h1>Know every pour in your bar</h1>
        <p className="lead">TapFlow puts a smart meter on each beer tap. You see what is poured, what is wasted and which keg runs dry next, and
          we see the failing tap before your guests do.</p>
        <p className="actions">
          <Link to="/demo" className="button primary">Request a demo</Link>
          <Link to="/pricing" className="button">See pricing</Link>
        </p>
      </section>
      <section aria-labelledby="why">
        <h2 id="why">Why venues use TapFlow</h2>
        <ul className="cards">
          {POINTS.map(([title, text]) => (
            <li key={title} className="card">
              <h3>{title}</h3>
              <p>{text}</p>
            </li>
          ))}
        </ul>
        <p><Link to="/features">All features</Link> · <Link to="/docs">How it works</Link></p>
      </section>
    </>
  )
}
