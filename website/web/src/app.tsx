import { useEffect, useRef } from 'react'
import type { SiteConfig } from '../../api.js'
import { startAnalytics } from './analytics.js'
import { getJson } from './data.js'
import { Link, useRoute } from './router.js'
import { Demo } from './pages/demo.js'
import { Docs } from './pages/docs.js'
import { Features } from './pages/features.js'
import { Home } from './pages/home.js'
import { Login } from './pages/login.js'
import { Pricing } from './pages/pricing.js'
import { Signup } from './pages/signup.js'

const NAV: [string, string][] = [['/', 'Home'], ['/features', 'Features'], ['/pricing', 'Pricing'], ['/demo', 'Request a demo'], ['/docs', 'Docs'], ['/login', 'Log in']]

export function App() {
  const { path, query } = useRoute()
  const main = useRef<HTMLElement>(null)
  const first = useRef(true)

  useEffect(() => {
    getJson<SiteConfig>('/api/site-config').then(startAnalytics, () => startAnalytics({ projectKey: null, loginMode: 'account-id' }))
    // The first-load benchmark and the tests wait for this: React has mounted and the page takes input.
    performance.mark('tapflow-site-mounted')
    document.documentElement.dataset.mounted = 'true'
  }, [])

  useEffect(() => {
    // After an in-site navigation, keyboard and screen-reader users start at the new page's content.
    if (first.current) first.current = false
    else main.current?.focus()
    window.scrollTo(0, 0)
  }, [path])

  const section = path.split('/')[1] ?? ''
  let page
  if (path === '/') page = <Home />
  else if (path === '/features') page = <Features />
  else if (path === '/pricing') page = <Pricing />
  else if (path === '/demo') page = <Demo />
  else if (section === 'docs') page = <Docs slug={path.split('/')[2]} />
  else if (path === '/login') page = <Login />
  else if (path === '/signup') page = <Signup tier={query.get('tier') ?? undefined} />
  else page = <NotFound />

  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="site-header">
        <Link to="/" className="brand" aria-label="TapFlow home">TapFlow</Link>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([to, label]) => (
              <li key={to}>
                <Link to={to} aria-current={(to === '/' ? path === '/' : path.startsWith(to)) ? 'page' : undefined}>{label}</Link>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" ref={main} tabIndex={-1}>{page}</main>
      <footer className="site-footer">
        <p>TapFlow Analytics, smart taps for bars and restaurants. A simulation: every venue, tap and pour here is made up.</p>
      </footer>
    </>
  )
}

function NotFound() {
  useEffect(() => void (document.title = 'Not found · TapFlow'), [])
  return (
    <section className="narrow">
      <h1>Page not found</h1>
      <p>There is nothing at this address. <Link to="/">Back to the home page</Link>.</p>
    </section>
  )
}
