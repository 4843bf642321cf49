import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ensureSiteBuilt, WebsiteServer, type WebsiteServerOptions } from '../index.js'

describe('WebsiteServer', () => {
  let site: WebsiteServer | undefined
  afterEach(async () => {
    await site?.close()
    site = undefined
  })
  const start = async (opts: WebsiteServerOptions = {}): Promise<WebsiteServer> => {
    site = new WebsiteServer({ port: 0, ...opts })
    await site.listen()
    return site
  }
  const post = (s: WebsiteServer, body: string): Promise<Response> => fetch(`${s.url}/api/login`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } })

  it('serves the business’s price list and the site config', async () => {
    const s = await start()
    expect(await (await fetch(`${s.url}/api/pricing`)).json()).toEqual({
      currency: 'USD',
      tiers: [{ tier: 'starter', pricePerTapCents: 3900, minTaps: 1 }, { tier: 'pro', pricePerTapCents: 5900, minTaps: 6 }, { tier: 'enterprise', pricePerTapCents: 7900, minTaps: 20 }],
    })
    // No capture endpoint injected: no analytics, and the account id alone signs in.
    expect(await (await fetch(`${s.url}/api/site-config`)).json()).toEqual({ projectKey: null, loginMode: 'account-id' })
    expect((await fetch(`${s.url}/api/nope`)).status).toBe(404)
  })

  it('serves the bundle, client routes as index.html, doc images, and nothing outside its folders', async () => {
    ensureSiteBuilt()
    const s = await start()
    for (const path of ['/', '/pricing', '/docs/models']) {
      const r = await fetch(s.url + path)
      expect(r.status).toBe(200)
      expect(await r.text()).toContain('<div id="root">')
    }
    const js = await fetch(`${s.url}/app.js`)
    expect(js.headers.get('content-type')).toContain('text/javascript')
    const png = await fetch(`${s.url}/files/docs/screenshots/fleet.png`)
    expect([png.status, png.headers.get('content-type')]).toEqual([200, 'image/png'])
    expect((await fetch(`${s.url}/files/docs/..%2fpackage.json`)).status).toBe(404)
    expect(await (await fetch(`${s.url}/files/docs/../package.json`)).text()).toContain('<div id="root">')
    expect((await fetch(`${s.url}/files/docs/models.md`)).status).toBe(404)
    expect((await fetch(`${s.url}/`, { method: 'DELETE' })).status).toBe(405)
  })

  it('says how to build the site when it is not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tapflow-site-'))
    try {
      const r = await fetch((await start({ siteDir: empty })).url)
      expect(r.status).toBe(503)
      expect(((await r.json()) as { error: string }).error).toContain('npm run build:site')
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })

  it('signs in with the account id alone on a local stack, and sends the customer to their fleet view', async () => {
    const s = await start({ dashboardUrl: 'http://127.0.0.1:8080/' })
    expect(await (await post(s, '{"accountId":"ACC_000042"}')).json()).toEqual({ accountId: 'ACC_000042', dashboardUrl: 'http://127.0.0.1:8080/#/fleet/ACC_000042' })
    expect((await post(s, '{"accountId":"ven-0007"}')).status).toBe(400)
    expect((await post(s, 'not json')).status).toBe(400)
    expect((await post(s, JSON.stringify({ accountId: 'ACC_000042', pad: 'x'.repeat(10_000) }))).status).toBe(413)
  })

  it('with an account directory: unknown accounts and wrong codes get 401 with a reason', async () => {
    const s = await start({ accounts: { exists: async (id) => id === 'ACC_000001', codeFor: (id) => `code-${id.slice(-1)}` } })
    expect(((await (await fetch(`${s.url}/api/site-config`)).json()) as { loginMode: string }).loginMode).toBe('account-code')
    const unknown = await post(s, '{"accountId":"ACC_000002","code":"code-2"}')
    expect([unknown.status, await unknown.json()]).toEqual([401, { error: 'no account ACC_000002' }])
    const wrong = await post(s, '{"accountId":"ACC_000001","code":"code-2"}')
    expect([wrong.status, await wrong.json()]).toEqual([401, { error: 'wrong code for ACC_000001' }])
    expect((await post(s, '{"accountId":"ACC_000001","code":" code-1 "}')).status).toBe(200)
  })

  it('lets an injected capture handler answer first, and serves the rest itself', async () => {
    const seen: string[] = []
    const s = await start({
      projectKey: 'phc_k',
      capture: {
        handle: async (req, res) => {
          seen.push(req.url ?? '')
          if (!req.url?.startsWith('/e/')) return false
          res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":1}')
          return true
        },
      },
    })
    expect(await (await fetch(`${s.url}/e/`, { method: 'POST', body: '[]' })).json()).toEqual({ status: 1 })
    expect(((await (await fetch(`${s.url}/api/site-config`)).json()) as { projectKey: string }).projectKey).toBe('phc_k')
    expect(seen).toEqual(['/e/', '/api/site-config'])
  })

  it('closes through await using, and a busy port names --site-port', async () => {
    const s = await start()
    const busy = new WebsiteServer({ port: s.port })
    await expect(busy.listen()).rejects.toThrow(/--site-port/)
    {
      await using owned = new WebsiteServer({ port: 0 })
      await owned.listen()
      expect((await fetch(`${owned.url}/api/pricing`)).status).toBe(200)
    }
  })
})
