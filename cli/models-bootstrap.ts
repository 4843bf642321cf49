import { fork } from 'node:child_process'
import { createRequire } from 'node:module'
import { setPriority } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { errorMessage, type Logger } from '../common/index.js'
import { ModelNotFoundError, ModelRegistry, type Database } from '../cloud/index.js'
import { DATABASE_URL_ENV, type BootstrapSize, type ChildJob, type ChildMessage } from './models-bootstrap-child.js'

export type { BootstrapSize } from './models-bootstrap-child.js'

const CHILD = fileURLToPath(new URL('./models-bootstrap-child.ts', import.meta.url))
/** tsx's loader by absolute URL: the child runs TypeScript whatever the working directory. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href
/** The lowest priority (nice 19): the stack's fleet, gateway and dashboard come first. */
const LOW_PRIORITY = 19

/**
 * The default bootstrap: 300 taps × 10 days of fleets/training.yaml at 6× its hazards (0.3 onsets a day per assigned
 * mode), 3K tap-days, about 65K rows (one per tap-hour after a day of warm-up), 100 rounds per mode. Ten days is
 * about the least that splits: validation and test need two days each, since rows whose 24 h horizon crosses into
 * the next slice are purged.
 */
export const DEFAULT_BOOTSTRAP_SIZE: BootstrapSize = { taps: 300, days: 10, hazardScale: 6, iterations: 100 }

export type ChildReady = Extract<ChildMessage, { ready: unknown }>['ready']

export interface ChildRun {
  /** The child's latest progress message. */
  readonly progress: Extract<ChildMessage, { stage: string }> | undefined
  readonly done: Promise<ChildReady>
  /** Stops the child (SIGTERM) and waits for it. */
  close(): Promise<void>
}

/** Runs one job in a child process at low priority; the database URL goes through its environment, never argv. */
export function runModelChild(job: ChildJob, databaseUrl: string): ChildRun {
  const child = fork(CHILD, [JSON.stringify(job)], {
    execArgv: ['--import', TSX], env: { ...process.env, [DATABASE_URL_ENV]: databaseUrl }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  if (child.pid !== undefined) {
    try {
      setPriority(child.pid, LOW_PRIORITY)
    } catch {
      // Not permitted here: it runs at normal priority, which is slower for the stack but still correct.
    }
  }
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2_000)))
  let progress: ChildRun['progress']
  let result: ChildReady | undefined
  let failure: string | undefined
  child.on('message', (m: ChildMessage) => {
    if ('stage' in m) progress = m
    else if ('ready' in m) result = m.ready
    else failure = m.error
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const done = exited.then((code) => {
    if (result !== undefined) return result
    throw new Error(failure ?? `model training exited with code ${String(code)}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`)
  })
  done.catch(() => undefined) // the caller awaits it; a stop during training is not unhandled
  return {
    get progress() {
      return progress
    },
    done,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

export interface ModelBootstrapOptions {
  /** The registry's database (the business's). */
  db: Database
  dataDir: string
  /** Seed of the training fleet. */
  seed: number
  /** Default: DEFAULT_BOOTSTRAP_SIZE. */
  size?: BootstrapSize
  logger: Logger
}

export type BootstrapState =
  | { state: 'existing'; version: number }
  | { state: 'training'; stage: string; since: number }
  | { state: 'ready'; version: number; seconds: number; phases: Record<string, number> }
  | { state: 'failed'; error: string }

/**
 * A maintenance champion for `tapflow up` when the registry has none: a short history is simulated and trained in a
 * child process (see models-bootstrap-child.ts) while the stack runs, and registered as `maintenance@champion`,
 * where live scoring finds it. A later run finds the champion and trains nothing.
 */
export class ModelBootstrap implements AsyncDisposable {
  private current: BootstrapState
  private child: ChildRun | undefined
  private stopping = false
  /** Resolves when the bootstrap ends: a champion is there, or training failed (logged), or it was stopped. */
  readonly settled: Promise<BootstrapState>

  private constructor(private readonly o: ModelBootstrapOptions, existing: number | Error | undefined) {
    const log = o.logger.child({ component: 'models' })
    if (existing instanceof Error) {
      this.current = { state: 'failed', error: errorMessage(existing) }
      log.warn({ err: errorMessage(existing) }, 'model registry not readable: no background training')
      this.settled = Promise.resolve(this.current)
      return
    }
    if (existing !== undefined) {
      this.current = { state: 'existing', version: existing }
      this.settled = Promise.resolve(this.current)
      return
    }
    const since = Date.now()
    this.current = { state: 'training', stage: 'starting', since }
    const size = o.size ?? DEFAULT_BOOTSTRAP_SIZE
    this.child = runModelChild({ kind: 'bootstrap', dataDir: o.dataDir, size, seed: o.seed }, o.db.url)
    log.info({ taps: size.taps, days: size.days }, 'no maintenance champion: training one in the background (low priority)')
    this.settled = this.child.done.then(
      (r) => {
        this.current = { state: 'ready', version: r.version, seconds: r.seconds, phases: r.phases }
        log.info({ version: r.version, aliases: r.aliases, seconds: Math.round(r.seconds), phases: r.phases, rows: r.rows, skipped: r.skipped }, `maintenance@${r.version} trained and registered as champion`)
        process.stderr.write(`  models   maintenance@${r.version} trained in ${Math.round(r.seconds)} s on a ${size.days}-day history of ${size.taps} taps: it is the champion (${join0(r.skipped)})\n`)
        return this.current
      },
      (err: unknown) => {
        this.current = { state: 'failed', error: this.stopping ? 'stopped' : errorMessage(err) }
        if (!this.stopping) log.warn({ err: errorMessage(err) }, 'the background maintenance model was not trained; train one with tapflow models simulate + train')
        return this.current
      },
    )
  }

  /** Checks the registry; starts the training child when `maintenance@champion` is missing. Never throws: the stack runs on. */
  static async start(o: ModelBootstrapOptions): Promise<ModelBootstrap> {
    let registry: ModelRegistry | undefined
    try {
      registry = await ModelRegistry.open({ db: o.db, artifactsDir: join(o.dataDir, 'models') })
      return new ModelBootstrap(o, (await registry.getVersion('maintenance@champion')).version)
    } catch (err) {
      return new ModelBootstrap(o, err instanceof ModelNotFoundError ? undefined : err instanceof Error ? err : new Error(errorMessage(err)))
    } finally {
      await registry?.close()
    }
  }

  /** Where the bootstrap is, with the child's latest stage while training. */
  status(): BootstrapState {
    const p = this.child?.progress
    if (this.current.state === 'training' && p !== undefined) return { ...this.current, stage: `${p.stage} ${p.done}/${p.total}` }
    return this.current
  }

  /** While a champion is being trained: what the Models view says instead of "no champion". */
  waiting(): string | undefined {
    const s = this.status()
    if (s.state === 'training') return `no maintenance champion yet: training one in the background (${s.stage}); live scoring starts within a minute of it`
    if (s.state === 'failed') return `no maintenance champion: background training failed (${s.error}); train one with 'tapflow models train'`
    return undefined
  }

  /** One banner line. */
  banner(): string {
    const s = this.current
    if (s.state === 'existing') return `  models   maintenance@${s.version} is the champion\n`
    if (s.state === 'failed') return `  models   no background training: ${s.error}\n`
    const size = this.o.size ?? DEFAULT_BOOTSTRAP_SIZE
    return `  models   no maintenance champion yet: training one in the background on a ${size.days}-day history of ${size.taps} taps (a few minutes; a line here says when it is ready)\n`
  }

  async close(): Promise<void> {
    this.stopping = true
    await this.child?.close()
    await this.settled
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }
}

const join0 = (skipped: string[]): string => (skipped.length === 0 ? 'every target mode' : `not trained: ${skipped.join(', ')}`)
