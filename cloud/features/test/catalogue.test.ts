import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CATALOGUE_END, CATALOGUE_START, Registry, featureCatalogue } from '../index.js'

describe('feature catalogue', () => {
  it('is in the README exactly as generated from the definitions', () => {
    const readme = readFileSync(join(import.meta.dirname, '../../../README.md'), 'utf8')
    const start = readme.indexOf(CATALOGUE_START)
    const end = readme.indexOf(CATALOGUE_END)
    expect(start, 'README has the catalogue markers').toBeGreaterThanOrEqual(0)
    expect(readme.slice(start, end + CATALOGUE_END.length), 'regenerate with: npx tsx cloud/features/catalogue.ts').toBe(featureCatalogue())
  })

  it('has the seed\'s device and customer features and at least 50 in all', () => {
    const reg = new Registry()
    const names = reg.list().map((f) => f.name)
    expect(names.length).toBeGreaterThanOrEqual(50)
    expect(names).toEqual(expect.arrayContaining(['pour_count_24h', 'avg_pour_size', 'uptime_percentage', 'temperature_variance', 'maintenance_score']))
    const customer = reg.list('customer').map((f) => f.name)
    expect(customer).toEqual(expect.arrayContaining(['days_active', 'total_revenue', 'device_count', 'support_tickets_30d', 'usage_trend_7d', 'payment_reliability']))
    expect(reg.entity('customer').joinKey).toBe('account_id')
  })
})
