import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { latestComparison, models, newestDrift, type ModelComparison, type ModelsSource, type ModelsState } from '../src/models-panel.js'
import { Params } from '../src/params.js'

const dirs = [mkdtempSync(join(tmpdir(), 'tapflow-models-a-')), mkdtempSync(join(tmpdir(), 'tapflow-models-b-'))]
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

const report = (generatedAt: string, drifted: boolean[]): string => JSON.stringify({
  generatedAt, datasetDrift: drifted.filter(Boolean).length * 2 >= drifted.length, drifted: drifted.filter(Boolean).length, share: drifted.filter(Boolean).length / drifted.length,
  columns: drifted.map((d, i) => ({ column: `f${i}`, drifted: d, score: i })),
})

describe('the Models panel', () => {
  it('finds the newest drift report across folders and says so when there is none', () => {
    expect(newestDrift(dirs)).toBeNull()
    writeFileSync(join(dirs[0]!, 'drift-20261129T100000Z.json'), report('2026-11-29T10:00:00.000Z', [true, false]))
    writeFileSync(join(dirs[1]!, 'drift-20261130T090000Z.json'), report('2026-11-30T09:00:00.000Z', [false, true, true]))
    writeFileSync(join(dirs[1]!, 'drift-20261130T090000Z.html'), '<html></html>')
    writeFileSync(join(dirs[1]!, 'drift-notes.json'), '{}') // not a report
    const d = newestDrift([...dirs, join(dirs[0]!, 'missing')])
    expect(d).toMatchObject({ generatedAt: '2026-11-30T09:00:00.000Z', datasetDrift: true, drifted: 2, columns: 3, driftedColumns: ['f2', 'f1'], url: '/api/models/drift-report' })
    expect(d?.file).toBe(join(dirs[1]!, 'drift-20261130T090000Z.json'))
  })

  it('is off without live scoring, and passes the source through with the drift summary', async () => {
    const off = await models(undefined, [], new Params(new URLSearchParams()))
    expect(off).toMatchObject({ champion: null, scoring: { state: 'off' }, live: null, drift: null })
    const state: ModelsState = {
      champion: { name: 'maintenance', version: 2, createdAt: '2026-11-30T00:00:00.000Z', metrics: {} }, challenger: null, openAlerts: [], live: null,
      scoring: { state: 'running', note: 'scores', everyMs: 3_600_000, lastRound: null },
    }
    const src: ModelsSource = { state: async () => state }
    const on = await models(src, dirs, new Params(new URLSearchParams()))
    expect(on.champion?.version).toBe(2)
    expect(on.drift?.generatedAt).toBe('2026-11-30T09:00:00.000Z')
    expect(on.comparison).toBeNull()
    await expect(models(src, dirs, new Params(new URLSearchParams('x=1')))).rejects.toThrow(/x/)
  })

  it('serves the champion-challenger comparison tapflow up keeps in latest.json, from the first folder that has one', async () => {
    const score = (prAuc: number | null) => ({ prAuc, precision: prAuc, recall: prAuc, threshold: 0.5, flagged: 2 })
    const cooling = { mode: 'cooling-failure', rows: 40, positives: 3, champion: score(0.6), challenger: score(0.8), better: 'challenger' as const }
    const comparison: ModelComparison = {
      window: { from: Date.parse('2026-11-29T00:00:00Z'), to: Date.parse('2026-11-30T00:00:00Z'), everyMs: 21_600_000 }, rows: 40, entities: 10, horizonHours: 24,
      champion: { ref: 'maintenance@1', version: 1 }, challenger: { ref: 'maintenance@2', version: 2 },
      modes: [cooling, { mode: 'valve-leak', rows: 40, positives: 0, champion: score(null), challenger: score(null), better: null }], overall: { ...cooling, mode: 'all' },
    }
    writeFileSync(join(dirs[0]!, 'latest.json'), report('2026-11-30T00:00:00.000Z', [true])) // a report from before comparisons: none in it
    writeFileSync(join(dirs[1]!, 'latest.json'), JSON.stringify({ ...JSON.parse(report('2026-11-30T00:00:00.000Z', [true])) as object, comparison }))
    expect(latestComparison([dirs[0]!])).toBeNull()
    const on = await models(undefined, dirs, new Params(new URLSearchParams()))
    expect(on.comparison).toEqual(comparison)
    expect(on.comparison?.modes[1]).toMatchObject({ mode: 'valve-leak', positives: 0, champion: { prAuc: null } })
    writeFileSync(join(dirs[1]!, 'latest.json'), '{"comparison":') // being written by another process
    expect(latestComparison(dirs)).toBeNull()
  })
})
