import { MessageChannel, Worker } from 'node:worker_threads'
import { fillHistogram } from './histogram.js'

/** Slots of the shared control block. */
const SEQ = 0 // bumped by this thread to hand the worker a job
const DONE = 1 // set to SEQ by the worker when the job is done
const READY = 2 // 1 once the worker waits for jobs; -1 if it failed
const HIST = 3
const START = 4
const END = 5
const Q_FROM = 6
const Q_TO = 7
const FLAGS = 8 // 1: counts, 2: features through `feats`, 4: stop
const SLOTS = 9
/** How long to wait for the worker to start before training on one thread. */
const START_TIMEOUT_MS = 10_000
/** Below this many bin updates a leaf's histogram is built here alone: a hand-over costs more than it saves. */
const MIN_SHARED_WORK = 50_000

/** A histogram whose buffers the worker can see. */
export interface SharedHist {
  id: number
  v: Float64Array
}

export interface HistogramWorkerOptions {
  /** Row-major bins, `cols` per row, on a SharedArrayBuffer; likewise `gh`, `order` and `feats` below. */
  bins: Uint8Array
  cols: number
  gh: Float64Array
  order: Uint32Array
  /** The features the current tree may split on (with feature sampling), written by the trainer. */
  feats: Int32Array
}

/**
 * The worker's loop, run from its source text (hence self-contained: the names it needs arrive as `setup`): wait
 * for a job in the control block, fill its share of a histogram with `fill`, signal, repeat.
 */
function workerLoop(setup: {
  workerData: { ctl: SharedArrayBuffer; bins: SharedArrayBuffer; gh: SharedArrayBuffer; order: SharedArrayBuffer; feats: SharedArrayBuffer; cols: number; port: import('node:worker_threads').MessagePort; slots: Record<string, number> }
  receive: (port: import('node:worker_threads').MessagePort) => { message: { id: number; v: SharedArrayBuffer } } | undefined
  fill: typeof fillHistogram
}): void {
  const { workerData: d, receive, fill } = setup
  const s = d.slots
  const ctl = new Int32Array(d.ctl)
  const bins = new Uint8Array(d.bins)
  const gh = new Float64Array(d.gh)
  const order = new Uint32Array(d.order)
  const feats = new Int32Array(d.feats)
  const hists = new Map<number, Float64Array>()
  let seq = 0
  try {
    Atomics.store(ctl, s.READY!, 1)
    Atomics.notify(ctl, s.READY!)
    for (;;) {
      Atomics.wait(ctl, s.SEQ!, seq)
      seq = Atomics.load(ctl, s.SEQ!)
      const flags = ctl[s.FLAGS!]!
      if ((flags & 4) !== 0) return
      // Histograms created since the last job: their buffers come through the port, read without an event loop.
      for (let m = receive(d.port); m !== undefined; m = receive(d.port)) hists.set(m.message.id, new Float64Array(m.message.v))
      const h = hists.get(ctl[s.HIST!]!)!
      fill(bins, d.cols, gh, order, ctl[s.START!]!, ctl[s.END!]!, (flags & 2) !== 0 ? feats : null, ctl[s.Q_FROM!]!, ctl[s.Q_TO!]!, h, (flags & 1) !== 0)
      Atomics.store(ctl, s.DONE!, seq)
      Atomics.notify(ctl, s.DONE!)
    }
  } catch (err) {
    Atomics.store(ctl, s.READY!, -1)
    Atomics.store(ctl, s.DONE!, seq)
    Atomics.notify(ctl, s.DONE!)
    throw err
  }
}

/**
 * A second thread for histograms (LightGBM and scikit-learn build them on every core). Each build is split by
 * feature: the worker fills the upper half of the feature list while this thread fills the lower half, then waits on
 * the shared control block. Everything stays synchronous, the data is shared, not copied, and since each bin is
 * summed by one thread in row order, the trees are the same as on one thread.
 */
export class HistogramWorker {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(SLOTS * 4))
  private readonly port: MessageChannel
  private readonly worker: Worker
  private seq = 0
  private nextId = 0

  private constructor(private readonly o: HistogramWorkerOptions) {
    this.port = new MessageChannel()
    // An eval'd CommonJS worker: no module loader needed, so it starts the same under tsx, vitest or plain node.
    // `__name` is the name-keeping helper some TypeScript transpilers insert into function bodies.
    const source = `const __name = (f) => f;\nconst { workerData, receiveMessageOnPort } = require('node:worker_threads');\n` +
      `const fill = ${fillHistogram.toString()};\n(${workerLoop.toString()})({ workerData, receive: receiveMessageOnPort, fill });\n`
    this.worker = new Worker(source, {
      eval: true,
      workerData: {
        ctl: this.ctl.buffer, bins: o.bins.buffer, gh: o.gh.buffer, order: o.order.buffer, feats: o.feats.buffer, cols: o.cols, port: this.port.port2,
        slots: { SEQ, DONE, READY, HIST, START, END, Q_FROM, Q_TO, FLAGS },
      },
      transferList: [this.port.port2],
    })
    this.worker.unref()
    this.worker.on('error', () => undefined) // seen through READY = -1
  }

  /** A worker over these shared arrays, or undefined when it cannot start (then train on one thread). */
  static start(o: HistogramWorkerOptions): HistogramWorker | undefined {
    const w = new HistogramWorker(o)
    // Synchronous wait: the worker thread starts on its own, without this thread's event loop.
    const deadline = Date.now() + START_TIMEOUT_MS
    while (Atomics.load(w.ctl, READY) === 0 && Date.now() < deadline) Atomics.wait(w.ctl, READY, 0, 50)
    if (Atomics.load(w.ctl, READY) !== 1) {
      w.close()
      return undefined
    }
    return w
  }

  /** A zeroed histogram on shared memory, made known to the worker. */
  newHist(cols: number): SharedHist {
    const v = new SharedArrayBuffer(cols * 256 * 4 * 8)
    const id = this.nextId++
    this.port.port1.postMessage({ id, v })
    return { id, v: new Float64Array(v) }
  }

  /** Fills `hist` over `order[start, end)` and the first `nFeat` features (of `feats` when `indirect`), on both threads. */
  build(hist: SharedHist, start: number, end: number, nFeat: number, indirect: boolean, counts: boolean): void {
    const o = this.o
    const feats = indirect ? o.feats : null
    if ((end - start) * nFeat < MIN_SHARED_WORK || nFeat < 2) {
      fillHistogram(o.bins, o.cols, o.gh, o.order, start, end, feats, 0, nFeat, hist.v, counts)
      return
    }
    const half = nFeat >> 1
    const c = this.ctl
    c[HIST] = hist.id
    c[START] = start
    c[END] = end
    c[Q_FROM] = half
    c[Q_TO] = nFeat
    c[FLAGS] = (counts ? 1 : 0) | (indirect ? 2 : 0)
    const seq = ++this.seq
    Atomics.store(c, SEQ, seq)
    Atomics.notify(c, SEQ)
    fillHistogram(o.bins, o.cols, o.gh, o.order, start, end, feats, 0, half, hist.v, counts)
    while (Atomics.load(c, DONE) !== seq) Atomics.wait(c, DONE, Atomics.load(c, DONE), 1_000)
    if (Atomics.load(c, READY) !== 1) throw new Error('the histogram worker failed')
  }

  close(): void {
    Atomics.store(this.ctl, FLAGS, 4)
    Atomics.store(this.ctl, SEQ, ++this.seq)
    Atomics.notify(this.ctl, SEQ)
    this.port.port1.close()
    void this.worker.terminate()
  }
}
