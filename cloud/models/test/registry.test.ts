import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../../common/index.js'
import { openDatabase, type Database } from '../../index.js'
import { startTestServer, type TestServer } from '../../test/pg-server.js'
import { ArtifactIntegrityError, ModelNotFoundError, ModelRegistry, parseModelRef } from '../index.js'

let server: TestServer | undefined
let db: Database
let dir: string

beforeAll(async () => {
  server = await startTestServer()
  if (server === undefined) return
  db = await openDatabase({ databaseUrl: await server.createDatabase('registry'), logger: silentLogger })
  dir = await mkdtemp(join(tmpdir(), 'tapflow-models-'))
})

afterAll(async () => {
  await db?.close()
  await server?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

const WINDOW = { from: Date.UTC(2025, 0, 1), to: Date.UTC(2025, 2, 1), source: 'clickhouse:tapflow' }

function input(name: string, auc: number) {
  return {
    name,
    artifacts: { 'model.onnx': new Uint8Array([8, 7, 1, auc * 100]), 'model.json': JSON.stringify({ trees: [], auc }) },
    metrics: { pr_auc: auc, modes: { cooling: { recall: 0.9 } } },
    params: { learningRate: 0.1, maxDepth: 6 },
    featureViews: [{ name: 'device_health', version: 2 }, { name: 'device_pours', version: 1 }],
    window: WINDOW,
    codeVersion: 'git:abc123',
  }
}

describe('model registry (embedded PostgreSQL)', () => {
  it('parses references', () => {
    expect(parseModelRef('maintenance')).toEqual({ name: 'maintenance' })
    expect(parseModelRef('maintenance@3')).toEqual({ name: 'maintenance', version: 3 })
    expect(parseModelRef('maintenance@champion')).toEqual({ name: 'maintenance', alias: 'champion' })
    expect(() => parseModelRef('Maintenance')).toThrow(/bad model name/)
    expect(() => parseModelRef('m@0')).toThrow(/versions start at 1/)
    expect(() => parseModelRef('m@')).toThrow(/expected name/)
  })

  it('round-trips versions with their lineage, and numbers them per model', async (ctx) => {
    if (server === undefined) return ctx.skip()
    const reg = await ModelRegistry.open({ db, artifactsDir: dir })
    // A second open re-runs the idempotent migration.
    await (await ModelRegistry.open({ db, artifactsDir: dir })).close()
    const v1 = await reg.registerVersion(input('maint', 0.8))
    const v2 = await reg.registerVersion(input('maint', 0.9))
    const other = await reg.registerVersion(input('churn', 0.5))
    expect([v1.version, v2.version, other.version]).toEqual([1, 2, 1])
    expect(v2.artifactDir).toBe(join(dir, 'maint', '2'))
    const got = await reg.getVersion('maint@2')
    expect(got.metrics).toEqual({ pr_auc: 0.9, modes: { cooling: { recall: 0.9 } } })
    expect(got.params).toEqual({ learningRate: 0.1, maxDepth: 6 })
    expect(got.featureViews).toEqual([{ name: 'device_health', version: 2 }, { name: 'device_pours', version: 1 }])
    expect(got.window).toEqual(WINDOW)
    expect(got.codeVersion).toBe('git:abc123')
    expect(Object.keys(got.artifacts).sort()).toEqual(['model.json', 'model.onnx'])
    expect(got.artifacts['model.onnx']).toMatch(/^[0-9a-f]{64}$/)
    expect((await reg.getVersion('maint')).version).toBe(2) // bare name: latest
    expect(await reg.loadArtifact('maint@1')).toEqual(new Uint8Array([8, 7, 1, 80]))
    expect(JSON.parse(Buffer.from(await reg.loadArtifact('maint@2', 'model.json')).toString())).toEqual({ trees: [], auc: 0.9 })

    const withReport = await reg.attachReport('maint@2', { json: '{}', html: '<html></html>' })
    expect(withReport.reportPath).toBe(join(dir, 'maint', '2', 'report.html'))
    expect((await reg.getVersion('maint@2')).reportPath).toBe(withReport.reportPath)

    expect((await reg.listVersions('maint')).map((v) => v.version)).toEqual([2, 1])
    const models = await reg.listModels()
    expect(models.map((m) => [m.name, m.latestVersion])).toEqual([['churn', 1], ['maint', 2]])
    await expect(reg.getVersion('maint@7')).rejects.toThrow(ModelNotFoundError)
    await expect(reg.getVersion('nope')).rejects.toThrow(/no registered model 'nope' \(registered: churn, maint\)/)
    await reg.close()
    await expect(reg.getVersion('maint')).rejects.toThrow(/closed/)
  })

  it('sets, moves, resolves and deletes aliases', async (ctx) => {
    if (server === undefined) return ctx.skip()
    await using reg = await ModelRegistry.open({ db, artifactsDir: dir })
    await reg.registerVersion(input('alias-m', 0.7))
    await reg.registerVersion(input('alias-m', 0.75))
    await reg.setAlias('alias-m', 'champion', 1)
    await reg.setAlias('alias-m', 'challenger', 2)
    expect((await reg.getVersion('alias-m@champion')).version).toBe(1)
    expect((await reg.getVersion('alias-m@1')).aliases).toEqual(['champion'])
    await reg.setAlias('alias-m', 'champion', 2) // move
    expect((await reg.getVersion('alias-m@champion')).version).toBe(2)
    expect((await reg.getVersion('alias-m@2')).aliases).toEqual(['challenger', 'champion'])
    expect((await reg.listModels()).find((m) => m.name === 'alias-m')?.aliases).toEqual({ champion: 2, challenger: 2 })
    expect(await reg.deleteAlias('alias-m', 'challenger')).toBe(true)
    expect(await reg.deleteAlias('alias-m', 'challenger')).toBe(false)
    await expect(reg.getVersion('alias-m@challenger')).rejects.toThrow(/no such alias \(alias-m has versions 1…2, aliases champion\)/)
    await expect(reg.setAlias('alias-m', 'champion', 9)).rejects.toThrow(ModelNotFoundError)
  })

  it('refuses a tampered artifact with a named error', async (ctx) => {
    if (server === undefined) return ctx.skip()
    await using reg = await ModelRegistry.open({ db, artifactsDir: dir })
    const v = await reg.registerVersion(input('tamper', 0.6))
    await writeFile(join(v.artifactDir, 'model.onnx'), new Uint8Array([8, 7, 1, 61]))
    const err = await reg.loadArtifact('tamper@1').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ArtifactIntegrityError)
    expect((err as ArtifactIntegrityError).expected).toBe(v.artifacts['model.onnx'])
    // The other file is intact and still loads.
    await expect(reg.loadArtifact('tamper@1', 'model.json')).resolves.toBeInstanceOf(Uint8Array)
  })
})
