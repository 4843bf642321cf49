import { createHash } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type pg from 'pg'
import type { Database } from '../../business/db/database.js'
import { ArtifactIntegrityError, ModelNotFoundError, ModelRegistryError } from './errors.js'
import { migrateRegistry } from './migration.js'
import { checkAlias, checkModelName, formatModelRef, parseModelRef, type ModelRef } from './refs.js'
import { codeVersion } from './lineage.js'

export interface ModelRegistryOptions {
  /** The business database (PostgreSQL); the registry keeps its tables in the schema `mlops`. Default: required. */
  db: Database
  /** Root of the artifact store: a version's files go to `<artifactsDir>/<name>/<version>/`. Default: required (`<data-dir>/models`). */
  artifactsDir: string
}

/** Where a version's training data came from. */
export interface TrainingWindow {
  /** Simulated epoch ms, inclusive. */
  from: number
  /** Simulated epoch ms, exclusive. */
  to: number
  /** What it was read from: `clickhouse:tapflow` (a time range), `lake:<snapshot id>`, `synthetic` … */
  source: string
}

export interface RegisterVersionInput {
  name: string
  /** Files stored with the version, e.g. `model.onnx`, `model.json`; each is hashed. */
  artifacts: Record<string, Uint8Array | string>
  metrics: Record<string, unknown>
  params: Record<string, unknown>
  featureViews: { name: string; version: number }[]
  window: TrainingWindow
  /** Default: the git commit, else the package version (see codeVersion). */
  codeVersion?: string
  /** Used only when the model is first registered. Default: ''. */
  description?: string
}

export interface ModelVersion {
  name: string
  version: number
  metrics: Record<string, unknown>
  params: Record<string, unknown>
  /** Absolute directory holding the version's files. */
  artifactDir: string
  /** File name → sha256 (hex). */
  artifacts: Record<string, string>
  featureViews: { name: string; version: number }[]
  window: TrainingWindow
  codeVersion: string
  /** The evaluation report (HTML), when one was attached. */
  reportPath: string | null
  createdAt: Date
  /** Aliases pointing at this version. */
  aliases: string[]
}

export interface RegisteredModel {
  name: string
  description: string
  createdAt: Date
  latestVersion: number
  /** Alias → version. */
  aliases: Record<string, number>
}

interface VersionRow extends pg.QueryResultRow {
  name: string
  version: number
  metrics: Record<string, unknown>
  params: Record<string, unknown>
  artifact_dir: string
  artifacts: Record<string, string>
  feature_views: { name: string; version: number }[]
  window_from: Date
  window_to: Date
  data_source: string
  code_version: string
  report_path: string | null
  created_at: Date
  aliases: string[] | null
}

const VERSION_COLUMNS = `v.name, v.version, v.metrics, v.params, v.artifact_dir, v.artifacts, v.feature_views, v.window_from, v.window_to,
  v.data_source, v.code_version, v.report_path, v.created_at,
  (SELECT array_agg(a.alias ORDER BY a.alias) FROM mlops.model_aliases a WHERE a.name = v.name AND a.version = v.version) AS aliases`

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex')

function toVersion(r: VersionRow): ModelVersion {
  return {
    name: r.name, version: r.version, metrics: r.metrics, params: r.params, artifactDir: r.artifact_dir, artifacts: r.artifacts,
    featureViews: r.feature_views, window: { from: r.window_from.getTime(), to: r.window_to.getTime(), source: r.data_source },
    codeVersion: r.code_version, reportPath: r.report_path, createdAt: r.created_at, aliases: r.aliases ?? [],
  }
}

/**
 * Registered models and their versions (MLflow's model registry): metadata and lineage in PostgreSQL, files on disk
 * with their sha256. Aliases (`champion`, `challenger`, any name) point at versions; there are no stages.
 * It does not own the database: close() only stops further use.
 */
export class ModelRegistry implements AsyncDisposable {
  readonly artifactsDir: string
  private readonly db: Database
  private closed = false

  private constructor(opts: ModelRegistryOptions) {
    this.db = opts.db
    this.artifactsDir = resolve(opts.artifactsDir)
  }

  /** Applies the registry's migration (idempotent) and returns a registry. */
  static async open(opts: ModelRegistryOptions): Promise<ModelRegistry> {
    await migrateRegistry(opts.db)
    return new ModelRegistry(opts)
  }

  /** Stores the files, then records a new version (numbered 1, 2, … per model) in one transaction. */
  async registerVersion(input: RegisterVersionInput): Promise<ModelVersion> {
    this.check()
    const name = checkModelName(input.name)
    const files = Object.entries(input.artifacts)
    for (const [f] of files) if (!/^[A-Za-z0-9_.-]+$/.test(f) || f.startsWith('.')) throw new ModelRegistryError(`bad artifact file name '${f}'`)
    let dir: string | undefined
    try {
      return await this.db.tx(async (c) => {
        await c.query('INSERT INTO mlops.registered_models (name, description) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, input.description ?? ''])
        // The model's row lock serialises concurrent registrations, so version numbers never collide.
        await c.query('SELECT 1 FROM mlops.registered_models WHERE name = $1 FOR UPDATE', [name])
        const next = (await c.query<{ v: number }>('SELECT coalesce(max(version), 0) + 1 AS v FROM mlops.model_versions WHERE name = $1', [name])).rows[0]?.v ?? 1
        dir = join(this.artifactsDir, name, String(next))
        // A directory left by a registration that rolled back is not a registered version: replace it.
        await rm(dir, { recursive: true, force: true })
        await mkdir(dir, { recursive: true })
        const hashes: Record<string, string> = {}
        for (const [f, data] of files) {
          await writeFile(join(dir, f), data)
          hashes[f] = sha256(data)
        }
        await c.query(
          `INSERT INTO mlops.model_versions (name, version, metrics, params, artifact_dir, artifacts, feature_views, window_from, window_to,
             data_source, code_version) VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8 / 1000.0), to_timestamp($9 / 1000.0), $10, $11)`,
          [name, next, JSON.stringify(input.metrics), JSON.stringify(input.params), dir, JSON.stringify(hashes), JSON.stringify(input.featureViews),
            input.window.from, input.window.to, input.window.source, input.codeVersion ?? codeVersion()],
        )
        return this.fetch(c, name, next)
      })
    } catch (err) {
      if (dir !== undefined) await rm(dir, { recursive: true, force: true }).catch(() => undefined)
      throw err
    }
  }

  /** Writes the evaluation report next to the version's artifacts and records its path (the HTML) and hashes. */
  async attachReport(ref: string | ModelRef, report: { json: string; html: string }): Promise<ModelVersion> {
    const v = await this.getVersion(ref)
    const files = { 'report.json': report.json, 'report.html': report.html }
    for (const [f, data] of Object.entries(files)) await writeFile(join(v.artifactDir, f), data)
    const hashes = { ...v.artifacts, ...Object.fromEntries(Object.entries(files).map(([f, d]) => [f, sha256(d)])) }
    const path = join(v.artifactDir, 'report.html')
    await this.db.query('UPDATE mlops.model_versions SET report_path = $3, artifacts = $4 WHERE name = $1 AND version = $2', [v.name, v.version, path, JSON.stringify(hashes)])
    return { ...v, reportPath: path, artifacts: hashes }
  }

  /** A version by `name` (the latest), `name@3` or `name@alias`. */
  async getVersion(ref: string | ModelRef): Promise<ModelVersion> {
    this.check()
    const r = typeof ref === 'string' ? parseModelRef(ref) : ref
    let version = r.version
    if (r.alias !== undefined) {
      const a = await this.db.query<{ version: number }>('SELECT version FROM mlops.model_aliases WHERE name = $1 AND alias = $2', [r.name, r.alias])
      version = a.rows[0]?.version
      if (version === undefined) throw new ModelNotFoundError(`${formatModelRef(r)}: no such alias${await this.known(r.name)}`)
    } else if (version === undefined) {
      const l = await this.db.query<{ v: number | null }>('SELECT max(version) AS v FROM mlops.model_versions WHERE name = $1', [r.name])
      version = l.rows[0]?.v ?? undefined
      if (version === undefined) throw new ModelNotFoundError(`no registered model '${r.name}'${await this.known()}`)
    }
    return this.fetch(this.db, r.name, version)
  }

  /** Reads one file of a version, verifying its sha256 against the registered one. */
  async loadArtifact(ref: string | ModelRef, file = 'model.onnx'): Promise<Uint8Array> {
    const v = await this.getVersion(ref)
    const expected = v.artifacts[file]
    if (expected === undefined) throw new ModelNotFoundError(`${v.name}@${v.version} has no artifact '${file}' (it has ${Object.keys(v.artifacts).join(', ')})`)
    const path = join(v.artifactDir, file)
    let data: Buffer
    try {
      data = await readFile(path)
    } catch (err) {
      throw new ModelRegistryError(`artifact ${path} of ${v.name}@${v.version} cannot be read`, { cause: err })
    }
    const actual = sha256(data)
    if (actual !== expected) throw new ArtifactIntegrityError(path, expected, actual)
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  }

  async listModels(): Promise<RegisteredModel[]> {
    this.check()
    const res = await this.db.query<{ name: string; description: string; created_at: Date; latest: number | null; aliases: Record<string, number> | null }>(
      `SELECT m.name, m.description, m.created_at,
         (SELECT max(version) FROM mlops.model_versions v WHERE v.name = m.name) AS latest,
         (SELECT jsonb_object_agg(a.alias, a.version) FROM mlops.model_aliases a WHERE a.name = m.name) AS aliases
       FROM mlops.registered_models m ORDER BY m.name`)
    return res.rows.map((r) => ({ name: r.name, description: r.description, createdAt: r.created_at, latestVersion: r.latest ?? 0,
      // jsonb orders keys by length: sort them by name for stable output.
      aliases: Object.fromEntries(Object.entries(r.aliases ?? {}).sort(([a], [b]) => a.localeCompare(b))),
    }))
  }

  /** A model's versions, newest first. */
  async listVersions(name: string): Promise<ModelVersion[]> {
    this.check()
    const res = await this.db.query<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM mlops.model_versions v WHERE v.name = $1 ORDER BY v.version DESC`, [checkModelName(name)])
    if (res.rows.length === 0) throw new ModelNotFoundError(`no registered model '${name}'${await this.known()}`)
    return res.rows.map(toVersion)
  }

  /** Points `alias` at a version, moving it if it pointed elsewhere. */
  async setAlias(name: string, alias: string, version: number): Promise<void> {
    this.check()
    checkAlias(alias)
    await this.fetch(this.db, checkModelName(name), version)
    await this.db.query(
      `INSERT INTO mlops.model_aliases (name, alias, version) VALUES ($1, $2, $3)
       ON CONFLICT (name, alias) DO UPDATE SET version = EXCLUDED.version, updated_at = now()`, [name, alias, version])
  }

  /** Removes an alias; false when it did not exist. */
  async deleteAlias(name: string, alias: string): Promise<boolean> {
    this.check()
    const res = await this.db.query('DELETE FROM mlops.model_aliases WHERE name = $1 AND alias = $2', [checkModelName(name), checkAlias(alias)])
    return (res.rowCount ?? 0) > 0
  }

  async close(): Promise<void> {
    this.closed = true
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private check(): void {
    if (this.closed) throw new ModelRegistryError('the model registry is closed')
  }

  /** One version, read through `q` (the pool, or a transaction's client). */
  private async fetch(q: { query: Database['query'] } | pg.PoolClient, name: string, version: number): Promise<ModelVersion> {
    const sql = `SELECT ${VERSION_COLUMNS} FROM mlops.model_versions v WHERE v.name = $1 AND v.version = $2`
    const res = 'release' in q ? await q.query<VersionRow>(sql, [name, version]) : await q.query<VersionRow>(sql, [name, version])
    const row = res.rows[0]
    if (row === undefined) throw new ModelNotFoundError(`${name}@${version}: no such version${await this.known(name)}`)
    return toVersion(row)
  }

  /** A hint for not-found messages: the models (or a model's versions) that do exist. */
  private async known(name?: string): Promise<string> {
    if (name === undefined) {
      const r = await this.db.query<{ name: string }>('SELECT name FROM mlops.registered_models ORDER BY name')
      return r.rows.length === 0 ? ' (the registry is empty: run tapflow models train)' : ` (registered: ${r.rows.map((x) => x.name).join(', ')})`
    }
    const r = await this.db.query<{ v: number | null; a: string | null }>(
      `SELECT (SELECT max(version) FROM mlops.model_versions WHERE name = $1) AS v,
              (SELECT string_agg(alias, ', ' ORDER BY alias) FROM mlops.model_aliases WHERE name = $1) AS a`, [name])
    const row = r.rows[0]
    if (row?.v === null || row?.v === undefined) return `; no registered model '${name}'`
    return ` (${name} has versions 1…${row.v}${row.a === null ? '' : `, aliases ${row.a}`})`
  }
}
