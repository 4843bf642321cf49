import { mkdirSync, readFileSync, readdirSync, truncateSync, unlinkSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { DEFAULT_WAL_MAX_BYTES, FSYNC_POLICIES, OptionError, errorMessage, silentLogger, type FsyncPolicy, type Logger } from '../../../common/index.js'
import { maxRecordSize, scanRecords, writeRecord, type WalRecord } from './record.js'

// The policies are defined in common (light) so `tapflow … --help` lists them without loading the gateway.
export { DEFAULT_WAL_MAX_BYTES, FSYNC_POLICIES, parseByteSize, type FsyncPolicy } from '../../../common/index.js'

export interface WalOptions {
  /** Directory for the segments, normally `<data-dir>/wal`. */
  dir: string
  /** When a group commit counts as durable. Default: always. */
  fsync?: FsyncPolicy
  /** fdatasync period for `interval`, ms. Default: 100. */
  fsyncIntervalMs?: number
  /** A segment is sealed once it holds this many bytes. Default: 16 MiB (or maxBytes / 8 if smaller). */
  segmentBytes?: number
  /** Bound on the log: at this many bytes it is full and the gateway holds frames back. Default: 256 MiB. */
  maxBytes?: number
  logger?: Logger
}

interface Segment {
  firstLsn: number
  path: string
  /** Bytes appended, including those still queued for the next group commit. */
  bytes: number
  /** Bytes known to be on disk. */
  written: number
  /** Records not yet released (not yet in ClickHouse). */
  outstanding: number
  fh?: FileHandle
  sealed: boolean
}

/** Records appended in one event-loop turn to one segment, encoded back to back into one buffer. */
interface Chunk {
  seg: Segment
  buf: Buffer
  /** Bytes of `buf` used. */
  len: number
  onDurable: (() => void)[]
}

/** A chunk's buffer size (a larger record gets a buffer of its own size): one allocation per ~1,500 rows. */
const CHUNK_BYTES = 256 * 1024

const NAME = /^(\d{16})\.wal$/

/**
 * A segmented, checksummed write-ahead log. Appends are grouped: every append made in one turn of the
 * event loop is written (and, by policy, fsynced) together, then each one's `onDurable` runs. A record
 * is released (`release`, called from the batcher's `onInserted`) once its row is in ClickHouse; a sealed
 * segment whose records are all released is deleted.
 * On open, every surviving record is handed back in `recovered` for replay.
 */
export class WriteAheadLog {
  readonly recovered: WalRecord[]
  readonly policy: FsyncPolicy
  readonly maxBytes: number
  private readonly segmentBytes: number
  private readonly segments: Segment[]
  private active: Segment
  private nextLsn: number
  private queue: Chunk[] = []
  private scheduled = false
  private chain: Promise<void> = Promise.resolve()
  private dirty = false
  private timer: NodeJS.Timeout | undefined
  private spaceWaiters: (() => void)[] = []
  private closed = false
  private readonly log: Logger
  /**
   * For metrics: group commits done, records committed, segments found corrupt at open, and fdatasync calls
   * that failed (each is also logged; the data was written but may not survive power loss).
   */
  readonly stats = { commits: 0, records: 0, corruptSegments: 0, fsyncErrors: 0 }

  private constructor(private readonly dir: string, opts: WalOptions, recovered: WalRecord[], segments: Segment[], nextLsn: number, log: Logger) {
    this.policy = opts.fsync ?? 'always'
    this.maxBytes = opts.maxBytes ?? DEFAULT_WAL_MAX_BYTES
    this.segmentBytes = opts.segmentBytes ?? Math.min(16 * 1024 * 1024, Math.max(64 * 1024, Math.floor(this.maxBytes / 8)))
    this.recovered = recovered
    this.segments = segments
    this.nextLsn = nextLsn
    this.log = log
    this.active = this.newSegment()
    if (this.policy === 'interval') {
      this.timer = setInterval(() => {
        if (this.dirty) this.chain = this.chain.then(() => this.syncActive())
      }, opts.fsyncIntervalMs ?? 100)
      this.timer.unref()
    }
  }

  /** Opens (or creates) the log in `opts.dir`, truncating a torn tail left by a crash. */
  static open(opts: WalOptions): WriteAheadLog {
    if (opts.fsync !== undefined) parseFsyncPolicy(opts.fsync)
    if (opts.maxBytes !== undefined && !(opts.maxBytes >= 1024 * 1024)) throw new OptionError('WalOptions.maxBytes', 'must be at least 1 MiB')
    const log = (opts.logger ?? silentLogger).child({ component: 'wal' })
    mkdirSync(opts.dir, { recursive: true })
    const files = readdirSync(opts.dir).filter((f) => NAME.test(f)).sort()
    const recovered: WalRecord[] = []
    const segments: Segment[] = []
    let nextLsn = 1
    let corrupt = 0
    files.forEach((f, i) => {
      const path = join(opts.dir, f)
      const buf = readFileSync(path)
      const scan = scanRecords(buf)
      if (scan.stopped !== undefined) {
        const last = i === files.length - 1
        // A torn tail on the newest segment is the normal trace of a crash mid-write: those records never became
        // durable, so their PUBACKs were never sent.
        if (last) log.warn({ segment: f, kept: scan.records.length, reason: scan.stopped }, 'truncating torn tail of the newest WAL segment')
        else {
          corrupt++
          log.error({ segment: f, kept: scan.records.length, reason: scan.stopped }, 'WAL segment corrupt in the middle: records after the bad one are lost')
        }
        truncateSync(path, scan.validBytes)
      }
      if (scan.records.length === 0) {
        unlinkSync(path)
        return
      }
      for (const r of scan.records) {
        recovered.push(r)
        nextLsn = Math.max(nextLsn, r.lsn + 1)
      }
      const firstLsn = scan.records[0]!.lsn
      segments.push({ firstLsn, path, bytes: scan.validBytes, written: scan.validBytes, outstanding: scan.records.length, sealed: true })
    })
    const wal = new WriteAheadLog(opts.dir, opts, recovered, segments, nextLsn, log)
    wal.stats.corruptSegments = corrupt
    if (recovered.length > 0) log.info({ records: recovered.length, segments: segments.length }, 'WAL recovered records to replay')
    return wal
  }

  /**
   * Appends one row, as its table spec's JSONCompactEachRow line (`spec.lineOf`); `onDurable` runs once it is on disk
   * under the fsync policy. Returns its LSN.
   */
  append(table: string, line: string, onDurable: () => void): number {
    if (this.closed) throw new Error('write-ahead log is closed')
    const lsn = this.nextLsn++
    // Room is reserved for the longest the record can be, so the line is encoded once, straight into the chunk.
    const room = maxRecordSize(table, line)
    if (this.active.bytes > 0 && this.active.bytes + room > this.segmentBytes) this.active = this.newSegment(lsn)
    const seg = this.active
    let chunk = this.queue.at(-1)
    if (chunk === undefined || chunk.seg !== seg || chunk.len + room > chunk.buf.length) {
      chunk = { seg, buf: Buffer.allocUnsafe(Math.max(CHUNK_BYTES, room)), len: 0, onDurable: [] }
      this.queue.push(chunk)
    }
    const end = writeRecord(chunk.buf, chunk.len, lsn, table, line)
    seg.bytes += end - chunk.len
    seg.outstanding++
    chunk.len = end
    chunk.onDurable.push(onDurable)
    this.schedule()
    return lsn
  }

  /** The record's row is in ClickHouse: its segment may go once all its records are released. */
  release(lsn: number): void {
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const seg = this.segments[i]!
      if (lsn < seg.firstLsn) continue
      seg.outstanding--
      if (seg === this.active && seg.outstanding === 0 && seg.bytes > 0 && this.full) {
        // Nothing new can arrive while full, so seal the drained active segment to free its bytes.
        this.active = this.newSegment()
        this.schedule()
      } else if (seg.sealed && seg.outstanding === 0) this.remove(seg)
      return
    }
  }

  /** Records written and not yet released. */
  get depth(): number {
    return this.segments.reduce((s, g) => s + g.outstanding, 0)
  }

  /** Bytes held by live segments, including the group being committed. */
  get bytes(): number {
    return this.segments.reduce((s, g) => s + g.bytes, 0)
  }

  get full(): boolean {
    return this.bytes >= this.maxBytes
  }

  /** Resolves once the log has room again. */
  whenSpace(): Promise<void> {
    if (!this.full) return Promise.resolve()
    return new Promise((r) => this.spaceWaiters.push(r))
  }

  /** Waits for every queued append to be committed. */
  async sync(): Promise<void> {
    for (;;) {
      this.commitNow()
      await this.chain
      if (this.queue.length === 0 && !this.scheduled) return
      // A failed write is retried on a timer; wait for it rather than spin.
      if (!this.scheduled) await new Promise((r) => setTimeout(r, 50))
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    await this.sync()
    this.closed = true
    if (this.timer !== undefined) clearInterval(this.timer)
    for (const seg of this.segments) {
      if (seg.fh === undefined) continue
      if (this.policy !== 'never') await this.datasync(seg, 'close')
      await seg.fh.close()
      seg.fh = undefined
      seg.sealed = true
      if (seg.outstanding === 0) this.remove(seg)
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private newSegment(firstLsn = this.nextLsn): Segment {
    const seg: Segment = { firstLsn, path: join(this.dir, `${String(firstLsn).padStart(16, '0')}.wal`), bytes: 0, written: 0, outstanding: 0, sealed: false }
    this.segments.push(seg)
    return seg
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => this.commitNow())
  }

  private commitNow(): void {
    if (!this.scheduled) return
    this.scheduled = false
    this.chain = this.chain.then(() => this.commit())
  }

  /** One group commit: write every queued record, fsync by policy, then run each one's `onDurable`. */
  private async commit(): Promise<void> {
    const batch = this.queue
    this.queue = []
    try {
      let i = 0
      while (i < batch.length) {
        const seg = batch[i]!.seg
        let j = i
        while (j < batch.length && batch[j]!.seg === seg) j++
        const bufs = batch.slice(i, j).map((c) => c.buf.subarray(0, c.len))
        const bytes = bufs.reduce((n, b) => n + b.length, 0)
        seg.fh ??= await open(seg.path, 'a')
        try {
          const { bytesWritten } = await seg.fh.writev(bufs)
          if (bytesWritten !== bytes) throw new Error(`short write: ${bytesWritten} of ${bytes} bytes`)
        } catch (err) {
          await seg.fh.truncate(seg.written).catch(() => undefined)
          throw err
        }
        seg.written += bytes
        if (this.policy === 'always') await seg.fh.datasync()
        i = j
      }
      this.dirty = this.policy === 'interval'
      this.stats.commits++
      for (const c of batch) this.stats.records += c.onDurable.length
    } catch (err) {
      // No `onDurable` in this group has run; keep it at the front and try again shortly (e.g. disk full).
      this.log.error({ err: errorMessage(err), records: batch.reduce((n, c) => n + c.onDurable.length, 0) }, 'WAL write failed; retrying in 1 s')
      this.queue = batch.concat(this.queue)
      setTimeout(() => this.schedule(), 1_000).unref()
      return
    }
    await this.sealInactive()
    for (const c of batch) for (const onDurable of c.onDurable) onDurable()
  }

  private async syncActive(): Promise<void> {
    this.dirty = false
    await this.datasync(this.active, 'interval')
  }

  /** fdatasync outside a group commit (the records' `onDurable` ran already): a failure is logged and counted. */
  private async datasync(seg: Segment, when: 'interval' | 'seal' | 'close'): Promise<void> {
    try {
      await seg.fh?.datasync()
    } catch (err) {
      this.stats.fsyncErrors++
      this.log.error({ segment: seg.path, when, err: errorMessage(err) }, 'WAL fsync failed: records already reported durable may not survive power loss')
    }
  }

  private async sealInactive(): Promise<void> {
    for (const seg of this.segments.slice()) {
      if (seg === this.active || seg.sealed) continue
      if (this.queue.some((p) => p.seg === seg)) continue
      if (seg.fh !== undefined) {
        if (this.policy === 'interval') await this.datasync(seg, 'seal')
        await seg.fh.close()
        seg.fh = undefined
      }
      seg.sealed = true
      if (seg.outstanding === 0) this.remove(seg)
    }
  }

  private remove(seg: Segment): void {
    const i = this.segments.indexOf(seg)
    if (i < 0) return
    this.segments.splice(i, 1)
    if (seg.written > 0) {
      try {
        unlinkSync(seg.path)
      } catch (err) {
        this.log.warn({ segment: seg.path, err: errorMessage(err) }, 'could not delete released WAL segment')
      }
    }
    if (!this.full && this.spaceWaiters.length > 0) for (const w of this.spaceWaiters.splice(0)) w()
  }
}

/** Checks a `WalOptions.fsync` value. */
export function parseFsyncPolicy(v: string): FsyncPolicy {
  if (!(FSYNC_POLICIES as readonly string[]).includes(v)) throw new OptionError('WalOptions.fsync', `must be one of ${FSYNC_POLICIES.join(', ')}, got '${v}'`)
  return v as FsyncPolicy
}
