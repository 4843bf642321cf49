import { errorMessage } from '../../../common/index.js'

/** all_success: run only if every dependency succeeded. all_done: run once dependencies finished, whatever their outcome. */
export type TriggerRule = 'all_success' | 'all_done'

export interface TaskDef<C> {
  name: string
  deps: readonly string[]
  trigger?: TriggerRule
  run(ctx: C): Promise<void>
}

export type TaskStatus = 'succeeded' | 'failed' | 'skipped'

export interface AttemptRecord {
  task: string
  status: TaskStatus
  attempt: number
  startedAt: number
  durationMs: number
  error: string | null
}

export interface DagRunOptions {
  /** Attempts per task, first included. Default: 3. */
  maxAttempts?: number
  /** Delay before retry n is n × this. Default: 50 ms. */
  retryDelayMs?: number
  /** Tasks already done (from an earlier, partial run): treated as succeeded and not re-run. Default: none. */
  alreadyDone?: ReadonlySet<string>
  /** Called after each attempt, for run history. */
  onAttempt?: (r: AttemptRecord) => Promise<void>
  /** Wall-clock milliseconds, for history. Default: required by caller. */
  now: () => number
}

/** Order tasks so each comes after its dependencies (declaration order breaks ties). Throws on cycles or unknown deps. */
export function topoSort<C>(tasks: readonly TaskDef<C>[]): TaskDef<C>[] {
  const byName = new Map(tasks.map((t) => [t.name, t]))
  const out: TaskDef<C>[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (t: TaskDef<C>, path: string[]): void => {
    const s = state.get(t.name)
    if (s === 'done') return
    if (s === 'visiting') throw new Error(`dependency cycle: ${[...path, t.name].join(' → ')}`)
    state.set(t.name, 'visiting')
    for (const d of t.deps) {
      const dep = byName.get(d)
      if (!dep) throw new Error(`task ${t.name} depends on unknown task ${d}`)
      visit(dep, [...path, t.name])
    }
    state.set(t.name, 'done')
    out.push(t)
  }
  for (const t of tasks) visit(t, [])
  return out
}

/**
 * Run a DAG with retries, in waves: every task whose dependencies have finished runs concurrently with the others
 * of its wave (independent pipelines use separate connections). Returns each task's final status.
 */
export async function runDag<C>(tasks: readonly TaskDef<C>[], ctx: C, opts: DagRunOptions): Promise<Map<string, TaskStatus>> {
  const result = new Map<string, TaskStatus>()
  let pending = topoSort(tasks)
  while (pending.length > 0) {
    const wave = pending.filter((t) => t.deps.every((d) => result.has(d)))
    pending = pending.filter((t) => !wave.includes(t))
    const statuses = await Promise.all(wave.map((t) => runTask(t, ctx, opts, result)))
    wave.forEach((t, i) => result.set(t.name, statuses[i] ?? 'failed'))
  }
  return result
}

async function runTask<C>(t: TaskDef<C>, ctx: C, opts: DagRunOptions, done: ReadonlyMap<string, TaskStatus>): Promise<TaskStatus> {
  if (opts.alreadyDone?.has(t.name)) return 'succeeded'
  const maxAttempts = opts.maxAttempts ?? 3
  const delay = opts.retryDelayMs ?? 50
  const depStates = t.deps.map((d) => done.get(d))
  const ready = (t.trigger ?? 'all_success') === 'all_done' ? true : depStates.every((s) => s === 'succeeded')
  if (!ready) {
    await opts.onAttempt?.({ task: t.name, status: 'skipped', attempt: 0, startedAt: opts.now(), durationMs: 0, error: 'upstream failed' })
    return 'skipped'
  }
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const startedAt = opts.now()
    const t0 = performance.now()
    try {
      await t.run(ctx)
      await opts.onAttempt?.({ task: t.name, status: 'succeeded', attempt, startedAt, durationMs: performance.now() - t0, error: null })
      return 'succeeded'
    } catch (err) {
      await opts.onAttempt?.({ task: t.name, status: 'failed', attempt, startedAt, durationMs: performance.now() - t0, error: errorMessage(err) })
      if (attempt < maxAttempts && delay > 0) await new Promise((r) => setTimeout(r, delay * attempt))
    }
  }
  return 'failed'
}
