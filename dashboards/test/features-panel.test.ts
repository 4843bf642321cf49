import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DashboardServer, type CurrentFeature, type FeatureSource } from '../index.js'

const NOW = Date.UTC(2026, 5, 10, 12)

/** The feature-store endpoints, fed through the setter (dashboards/ does not import cloud/); no ClickHouse needed. */
describe('dashboard feature-store endpoints', () => {
  // The endpoints never touch ClickHouse: the feature store reports through setFeatureSource.
  const server = new DashboardServer({ client: undefined as never, port: 0 })
  const asked: string[] = []
  const source: FeatureSource = {
    now: () => NOW,
    everyMs: 3_600_000,
    current: (entity, id): Promise<CurrentFeature[]> => {
      asked.push(`${entity}:${id}`)
      return Promise.resolve([{ name: 'pour_count_24h', view: 'device_pours', type: 'int64', description: 'Pours', value: 12, eventTs: NOW - 60_000, status: 'fresh' }])
    },
    views: () => [
      { name: 'device_pours', entity: 'device', source: 'tapflow.pours', ttlMs: 7 * 86_400_000, features: 22, materializedAt: NOW - 900_000, newestEvent: NOW - 960_000, entities: 40, tookMs: 120 },
      { name: 'customer_billing', entity: 'customer', source: 'PostgreSQL charges', ttlMs: 1, features: 4, materializedAt: null, newestEvent: null, entities: 0, tookMs: null, skipped: 'no business' },
    ],
  }
  const get = async (path: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(server.url + path)
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }
  beforeAll(() => server.listen())
  afterAll(() => server.close())

  it('answers 404 until the feature store reports in, then serves current values and each view\'s lag', async () => {
    expect((await get('/api/features/views')).status).toBe(404)
    expect((await get('/api/features?entity=device&id=tap-0001-01')).body.error).toMatch(/no feature store/)
    server.setFeatureSource(source)
    const cur = await get('/api/features?entity=device&id=tap-0001-01')
    expect(cur).toMatchObject({ status: 200, body: { now: NOW, entity: 'device', id: 'tap-0001-01', features: [{ name: 'pour_count_24h', value: 12, status: 'fresh' }] } })
    expect(asked).toEqual(['device:tap-0001-01'])
    const views = await get('/api/features/views')
    expect(views.body).toMatchObject({ now: NOW, everyMs: 3_600_000 })
    expect(views.body.views).toEqual([
      expect.objectContaining({ name: 'device_pours', lagMs: 900_000 }),
      expect.objectContaining({ name: 'customer_billing', lagMs: null, skipped: 'no business' }),
    ])
  })

  it('refuses bad parameters with a 400', async () => {
    server.setFeatureSource(source)
    expect((await get('/api/features?entity=truck&id=x')).status).toBe(400)
    expect((await get('/api/features?entity=device')).status).toBe(400)
    expect((await get('/api/features/views?x=1')).status).toBe(400)
  })
})
