import { readdirSync, readFileSync } from 'node:fs'

/**
 * This process's CPU, split by who spent it. `process.cpuUsage()` sums every thread, so on its own it cannot tell
 * the broker's and gateway's JavaScript from V8's collector or chDB's parsing and merges, which share the process
 * (and the machine's two cores) in a load run. Linux names every thread in /proc; Node's own helpers (V8's
 * collector and compiler workers, libuv's file-system pool) keep the name `node`, the embedded engine's threads
 * carry their own (QueryPipelineEx, MergeMutate, ThreadPool…), which is how the two are told apart.
 */
export interface CpuSplit {
  /** All threads, seconds (user + system). */
  total: number
  /** The main thread: the event loop, so the broker, the gateway and the harness. */
  javascript: number
  /**
   * Node's other threads: V8's garbage collector and compiler, and libuv's pool, which runs the WAL's writes and
   * fsyncs and also each chDB call (the binding's async work), so part of chDB's work lands here: ~20 % of an
   * insert's CPU, measured on an insert-only run.
   */
  nodeHelpers: number
  /**
   * Everything else: the embedded engine's threads. Computed as the rest of `total`, so threads that ended
   * between two readings (pools grow and shrink) still count.
   */
  engine: number
}

/** Linux's USER_HZ: the unit of /proc's utime and stime on every architecture Node runs on. */
const TICKS_PER_SECOND = 100

/** Reads the split now; `undefined` where there is no /proc (macOS, Windows). Cheap: one small read per thread. */
export function readCpuSplit(): CpuSplit | undefined {
  let tids: string[]
  try {
    tids = readdirSync('/proc/self/task')
  } catch {
    return undefined
  }
  const usage = process.cpuUsage()
  const total = (usage.user + usage.system) / 1e6
  let javascript = 0
  let nodeHelpers = 0
  // A thread starts with its creator's name: `node`, or the process title once one is set (test runners set one).
  const own = new Set(['node', threadName(String(process.pid))])
  for (const tid of tids) {
    let stat: string
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
    } catch {
      continue // it ended since the listing
    }
    const open = stat.indexOf('(')
    const close = stat.lastIndexOf(')')
    const name = stat.slice(open + 1, close)
    // Fields after the name, from `state` (field 3): utime and stime are fields 14 and 15.
    const fields = stat.slice(close + 2).split(' ')
    const seconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
    if (Number(tid) === process.pid) javascript = seconds
    else if (own.has(name) || name.startsWith('libuv')) nodeHelpers += seconds
  }
  return { total, javascript, nodeHelpers, engine: Math.max(0, total - javascript - nodeHelpers) }
}

function threadName(tid: string): string {
  try {
    return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim()
  } catch {
    return 'node'
  }
}

/** What was spent between two readings. */
export function cpuSince(before: CpuSplit | undefined, after: CpuSplit | undefined): CpuSplit | undefined {
  if (before === undefined || after === undefined) return undefined
  const d = (k: keyof CpuSplit): number => Math.max(0, after[k] - before[k])
  return { total: d('total'), javascript: d('javascript'), nodeHelpers: d('nodeHelpers'), engine: d('engine') }
}
