import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads'
import { bestSplit, fillHistogram, gradients, nodeJob, partitionRows, scanFeature, setBest, type KernelData, type NodeTask } from './kernels.js'

/** Slots of the shared control block. */
const SEQ = 0 // bumped by this thread to hand the worker a job
const DONE = 1 // set to SEQ by the worker when the job is done
const READY = 2 // 1 once the worker waits for jobs; -1 if it failed
const KIND = 3 // the job: NODE, PARTITION, GRADIENTS or STOP
const NODE = 1
const PARTITION = 2
const GRADIENTS = 3
const STOP = 4
/**
 * A node job's slots in the shared `task` array: histogram ids (-1: none), then `NodeTask`'s numbers in this order,
 * then the worker's feature range. A partition job uses slots 0..4 (from, to, feature, bin, missingLeft) and returns
 * its left count in slot 5; a gradients job uses 0..2 (from, to, binary).
 */
const NODE_NUMBERS = ['start', 'end', 'counts', 'parentExact', 'splitSmall', 'splitLarge', 'gs', 'hs', 'gl', 'hl', 'largeStart', 'largeEnd'] as const
const TASK_SLOTS = 2 + NODE_NUMBERS.length + 2
/** How long to wait for the worker to start before training on one thread. */
const START_TIMEOUT_MS = 10_000
/** Below this many bin updates (rows × features) a node's histogram is built here alone: a hand-over costs more. */
const MIN_SHARED_NODE = 40_000
/** Below this many rows a partition or a gradient pass runs here alone. */
const MIN_SHARED_ROWS = 20_000
/**
 * Polls of the control block before sleeping in Atomics.wait (tens of microseconds): jobs follow each other within
 * microseconds while a tree grows, and a futex sleep and wake-up costs more than that on each side.
 */
const SPIN = 20_000

/** The worker's view of the shared memory, sent once at start. */
interface WorkerData {
  ctl: SharedArrayBuffer
  task: SharedArrayBuffer
  best: SharedArrayBuffer
  port: MessagePort
  d: KernelData
  slots: { SEQ: number; DONE: number; READY: number; KIND: number; NODE: number; PARTITION: number; GRADIENTS: number; STOP: number; SPIN: number; numbers: readonly string[] }
}

/**
 * The worker's loop, run from its source text (hence self-contained: what it needs arrives as `setup`): wait for a
 * job in the control block, run a kernel on its share, signal, repeat. It fills the upper half of the features (and
 * writes its best splits from slot 16 of `best`), and partitions or computes gradients for the upper half of the rows.
 */
function workerLoop(setup: {
  workerData: WorkerData
  receive: (port: MessagePort) => { message: { id: number; v: SharedArrayBuffer } } | undefined
  k: { nodeJob: typeof nodeJob; partitionRows: typeof partitionRows; gradients: typeof gradients }
}): void {
  const { workerData: w, receive, k } = setup
  const s = w.slots
  const ctl = new Int32Array(w.ctl)
  const task = new Float64Array(w.task)
  const best = new Float64Array(w.best)
  const hists = new Map<number, Float64Array>()
  const t: Record<string, unknown> = {}
  let seq = 0
  try {
    Atomics.store(ctl, s.READY, 1)
    Atomics.notify(ctl, s.READY)
    for (;;) {
      for (let i = 0; i < s.SPIN && Atomics.load(ctl, s.SEQ) === seq; i++);
      // A loop: a wait may end without a new job (a spurious wake-up would otherwise rerun the last one).
      while (Atomics.load(ctl, s.SEQ) === seq) Atomics.wait(ctl, s.SEQ, seq)
      seq = Atomics.load(ctl, s.SEQ)
      const kind = ctl[s.KIND]
      if (kind === s.STOP) return
      if (kind === s.NODE) {
        // Histograms created since the last job: their buffers come through the port, read without an event loop.
        for (let m = receive(w.port); m !== undefined; m = receive(w.port)) hists.set(m.message.id, new Float64Array(m.message.v))
        t.small = hists.get(task[0]!)
        t.parent = task[1]! < 0 ? null : hists.get(task[1]!)
        s.numbers.forEach((name, i) => (t[name] = task[2 + i]))
        const q = 2 + s.numbers.length
        k.nodeJob(w.d, t as unknown as NodeTask, task[q]!, task[q + 1]!, best, 16)
      } else if (kind === s.PARTITION) {
        task[5] = k.partitionRows(w.d, task[0]!, task[1]!, task[2]!, task[3]!, task[4]!)
      } else {
        k.gradients(w.d, task[0]!, task[1]!, task[2]!)
      }
      Atomics.store(ctl, s.DONE, seq)
      Atomics.notify(ctl, s.DONE)
    }
  } catch (err) {
    Atomics.store(ctl, s.READY, -1)
    Atomics.store(ctl, s.DONE, seq)
    Atomics.notify(ctl, s.DONE)
    throw err
  }
}

/** A histogram whose buffer the worker can see. */
export interface SharedHist {
  id: number
  v: Float64Array
}

/**
 * A second thread for the trainer (LightGBM and scikit-learn use every core). Each node's histograms and split
 * search are split by feature, each partition and gradient pass by rows; this thread does the lower half while the
 * worker does the upper half, then waits on the shared control block. Everything stays synchronous, the data is
 * shared, not copied, and every result is the one a single thread computes (each bin is summed by one thread in row
 * order; the partition halves are joined in order), so the trees do not depend on the thread count.
 */
export class TrainWorker {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(4 * 4))
  private readonly task = new Float64Array(new SharedArrayBuffer(TASK_SLOTS * 8))
  private readonly port: MessageChannel
  private readonly worker: Worker
  private seq = 0
  private nextId = 0

  /** `d`'s arrays must be on shared memory (the trainer allocates them so), and `best` of 32 slots too. */
  private constructor(private readonly d: KernelData, private readonly best: Float64Array) {
    this.port = new MessageChannel()
    // An eval'd CommonJS worker: no module loader needed, so it starts the same under tsx, vitest or plain node.
    // `__name` is the name-keeping helper some TypeScript transpilers insert into function bodies.
    const kernels = [nodeJob, fillHistogram, bestSplit, scanFeature, setBest, partitionRows, gradients]
    const source = `const __name = (f) => f;\nconst { workerData, receiveMessageOnPort } = require('node:worker_threads');\n` +
      kernels.map((f) => `${f.toString()}\n`).join('') +
      `(${workerLoop.toString()})({ workerData, receive: receiveMessageOnPort, k: { nodeJob, partitionRows, gradients } });\n`
    const workerData: WorkerData = {
      ctl: this.ctl.buffer as SharedArrayBuffer, task: this.task.buffer as SharedArrayBuffer, best: best.buffer as SharedArrayBuffer, port: this.port.port2, d,
      slots: { SEQ, DONE, READY, KIND, NODE, PARTITION, GRADIENTS, STOP, SPIN, numbers: NODE_NUMBERS },
    }
    this.worker = new Worker(source, { eval: true, workerData, transferList: [this.port.port2] })
    this.worker.unref()
    this.worker.on('error', () => undefined) // seen through READY = -1
  }

  /** A worker over these shared arrays, or undefined when it cannot start (then train on one thread). */
  static start(d: KernelData, best: Float64Array): TrainWorker | undefined {
    const w = new TrainWorker(d, best)
    // Synchronous wait: the worker thread starts on its own, without this thread's event loop.
    const deadline = Date.now() + START_TIMEOUT_MS
    while (Atomics.load(w.ctl, READY) === 0 && Date.now() < deadline) Atomics.wait(w.ctl, READY, 0, 50)
    if (Atomics.load(w.ctl, READY) !== 1) {
      w.close()
      return undefined
    }
    return w
  }

  /** A histogram on shared memory, made known to the worker. */
  newHist(cols: number): SharedHist {
    const v = new SharedArrayBuffer(cols * 1024 * 8)
    const id = this.nextId++
    this.port.port1.postMessage({ id, v })
    return { id, v: new Float64Array(v) }
  }

  /**
   * `nodeJob` over the first `nFeat` features, shared with the worker when big enough. Best splits land in `best` as
   * `nodeJob` writes them, this thread's from slot 0 and the worker's from slot 16 (gain 0 when it had no share).
   */
  node(t: NodeTask, small: SharedHist, parent: SharedHist | null, nFeat: number): void {
    const best = this.best
    if ((t.end - t.start) * nFeat < MIN_SHARED_NODE || nFeat < 2) {
      nodeJob(this.d, t, 0, nFeat, best, 0)
      best[16] = 0
      best[24] = 0
      return
    }
    const half = nFeat >> 1
    const task = this.task
    task[0] = small.id
    task[1] = parent === null ? -1 : parent.id
    NODE_NUMBERS.forEach((name, i) => (task[2 + i] = t[name]))
    task[TASK_SLOTS - 2] = half
    task[TASK_SLOTS - 1] = nFeat
    const seq = this.post(NODE)
    nodeJob(this.d, t, 0, half, best, 0)
    this.wait(seq)
  }

  /**
   * `partitionRows` over `order[from, to)`, joined so that `order` holds the left rows then the right ones, each in
   * their original order. Returns the left count.
   */
  partition(from: number, to: number, f: number, b: number, missingLeft: number): number {
    const { order, scratch } = this.d
    const mid = to - from < MIN_SHARED_ROWS ? to : (from + to) >>> 1
    let leftB = 0
    let seq = 0
    if (mid < to) {
      this.task.set([mid, to, f, b, missingLeft])
      seq = this.post(PARTITION)
    }
    const leftA = partitionRows(this.d, from, mid, f, b, missingLeft)
    if (mid < to) {
      this.wait(seq)
      leftB = this.task[5]!
      order.copyWithin(from + leftA, mid, mid + leftB)
    }
    // The right rows of each half, from scratch: [left A][left B][right A][right B].
    const rightA = mid - from - leftA
    order.set(scratch.subarray(from, from + rightA), from + leftA + leftB)
    order.set(scratch.subarray(mid, to - leftB), from + leftA + leftB + rightA)
    return leftA + leftB
  }

  /** `gradients` of every row, the upper half on the worker. */
  gradients(n: number, binary: number): void {
    if (n < MIN_SHARED_ROWS) return gradients(this.d, 0, n, binary)
    const mid = n >>> 1
    this.task.set([mid, n, binary])
    const seq = this.post(GRADIENTS)
    gradients(this.d, 0, mid, binary)
    this.wait(seq)
  }

  close(): void {
    this.post(STOP)
    this.port.port1.close()
    void this.worker.terminate()
  }

  private post(kind: number): number {
    const c = this.ctl
    c[KIND] = kind
    const seq = ++this.seq
    Atomics.store(c, SEQ, seq)
    Atomics.notify(c, SEQ)
    return seq
  }

  /** Spins, then sleeps, until the worker has done job `seq`. */
  private wait(seq: number): void {
    const c = this.ctl
    for (let i = 0; i < SPIN && Atomics.load(c, DONE) !== seq; i++);
    while (Atomics.load(c, DONE) !== seq) Atomics.wait(c, DONE, Atomics.load(c, DONE), 1_000)
    if (Atomics.load(c, READY) !== 1) throw new Error('the trainer\'s worker thread failed')
  }
}

/** The same operations on this thread alone. */
export function partitionHere(d: KernelData, from: number, to: number, f: number, b: number, missingLeft: number): number {
  const left = partitionRows(d, from, to, f, b, missingLeft)
  d.order.set(d.scratch.subarray(from, to - left), from + left)
  return left
}
