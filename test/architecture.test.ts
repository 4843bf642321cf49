import { join } from 'node:path'
import { cruise, type ICruiseResult } from 'dependency-cruiser'
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options'
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')

describe('architecture (.dependency-cruiser.cjs, also run by make lint)', () => {
  it('has no import cycles between modules or folders, and no import past another folder’s index.ts', async () => {
    const options = await extractDepcruiseOptions(join(ROOT, '.dependency-cruiser.cjs'))
    const { output } = await cruise(['.'], options, undefined, { tsConfig: extractTSConfig(join(ROOT, 'tsconfig.json')) })
    const result = output as ICruiseResult
    expect(result.summary.totalCruised).toBeGreaterThan(100)
    const violations = result.summary.violations.map((v) => `${v.rule.name}: ${[v.from, ...(v.cycle?.map((c) => c.name) ?? [v.to])].join(' → ')}`)
    expect(violations).toEqual([])
  })
})
