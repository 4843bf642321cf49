import { useState, type FormEvent } from 'react'
import type { LoginResult, SiteConfig } from '../../../api.js'
import { identify } from '../analytics.js'
import { postJson, useJson } from '../data.js'
import { Link } from '../router.js'
import { usePage } from './page.js'

export function Login() {
  usePage('Log in')
  const config = useJson<SiteConfig>('/api/site-config')
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const withCode = config.data?.loginMode === 'account-code'
  const submit = async (e: FormEvent<HTMLFormElement>): Promise<void> => {
    e.preventDefault()
    const f = new FormData(e.currentTarget)
    setBusy(true)
    setError(undefined)
    try {
      const r = await postJson<LoginResult>('/api/login', { accountId: String(f.get('account') ?? '').trim(), code: String(f.get('code') ?? '') })
      identify(r.accountId, { account_id: r.accountId })
      // The customer's own taps: the dashboard's fleet view, filtered to their account.
      window.location.assign(r.dashboardUrl)
    } catch (err) {
      setError((err as Error).message)
      setBusy(false)
    }
  }
  return (
    <section className="narrow">
      <h1>Log in</h1>
      <p className="lead">Customers see their own venues and taps on the TapFlow dashboard.</p>
      <form className="stack" onSubmit={(e) => void submit(e)} aria-describedby={error === undefined ? undefined : 'login-error'}>
        <label htmlFor="login-account">Account id</label>
        <input id="login-account" name="account" placeholder="ACC_000042" pattern="ACC_[0-9]{6}" autoComplete="username" required aria-describedby="login-account-help" />
        <p id="login-account-help" className="muted">On your invoices, for example ACC_000042.</p>
        {withCode && (
          <>
            <label htmlFor="login-code">Sign-in code</label>
            <input id="login-code" name="code" autoComplete="one-time-code" required aria-describedby="login-code-help" />
            <p id="login-code-help" className="muted">The eight characters your TapFlow stack issued for this account.</p>
          </>
        )}
        {error !== undefined && <p id="login-error" role="alert" className="error">{error}</p>}
        <button type="submit" className="primary" disabled={busy}>{busy ? 'Signing in…' : 'Log in'}</button>
      </form>
      <p>New to TapFlow? <Link to="/signup?tier=starter">Start a free trial</Link> or <Link to="/demo">request a demo</Link>.</p>
    </section>
  )
}
