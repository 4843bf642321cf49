import { afterEach, describe, expect, it, vi } from 'vitest'
import { Batcher, batchToken, defineTable, type InsertFn } from '../index.js'
import { LineBytes } from '../src/sink/line-bytes.js'

type Call = { rows: unknown[][]; lines: string; token: string }
/** The batch's bytes as the text ClickHouse receives. */
const text = (bytes: readonly Buffer[]): string => Buffer.concat(bytes).toString('utf8')
const table = defineTable({ name: 't', columns: { device_id: 'String', n: 'UInt8', seq: 'UInt64' }, key: ['device_id', 'seq'] })
const batcher = (insert: InsertFn, batch: { maxRows: number; maxDelayMs: number; retryBaseMs: number }): Batcher => new Batcher({ table, insert, batch })

describe('Batcher', () => {
  afterEach(() => vi.useRealTimers())

  it('flushes by size and acknowledges only after the insert', async () => {
    const calls: Call[] = []
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const b = batcher(async (_t, _c, { rows, bytes }, token) => {
      await gate
      calls.push({ rows, lines: text(bytes), token })
    }, { maxRows: 3, maxDelayMs: 60_000, retryBaseMs: 1 })
    const acked: number[] = []
    for (let i = 0; i < 3; i++) b.add([`d${i}`, 0, i], table.lineOf([`d${i}`, 0, i]), () => acked.push(i))
    await Promise.resolve()
    expect(acked).toEqual([])
    release()
    await b.flush()
    expect(calls).toHaveLength(1)
    expect(calls[0]!.rows).toHaveLength(3)
    expect(calls[0]!.lines).toBe('["d0",0,0]\n["d1",0,1]\n["d2",0,2]\n')
    expect(acked).toEqual([0, 1, 2])
  })

  it('flushes by age', async () => {
    vi.useFakeTimers()
    const calls: Call[] = []
    const b = batcher(async (_t, _c, { rows, bytes }, token) => void calls.push({ rows, lines: text(bytes), token }), { maxRows: 1000, maxDelayMs: 500, retryBaseMs: 1 })
    b.add(['d', 0, 1], '["d",0,1]\n')
    await vi.advanceTimersByTimeAsync(499)
    expect(calls).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(2)
    expect(calls).toHaveLength(1)
  })

  it('cuts a batch that comes due during an insert when that insert returns, with the rows that came meanwhile', async () => {
    vi.useFakeTimers()
    const counts: number[] = []
    let release!: () => void
    let gate = new Promise<void>((r) => (release = r))
    const b = batcher(async (_t, _c, batch) => {
      counts.push(batch.count)
      await gate
    }, { maxRows: 1000, maxDelayMs: 500, retryBaseMs: 1 })
    b.add(['d', 0, 1], '["d",0,1]\n')
    await vi.advanceTimersByTimeAsync(501)
    expect(counts).toEqual([1])
    b.add(['d', 0, 2], '["d",0,2]\n')
    await vi.advanceTimersByTimeAsync(501)
    b.add(['d', 0, 3], '["d",0,3]\n')
    await vi.advanceTimersByTimeAsync(501)
    // Both came due while the first insert ran: nothing is cut until it returns, then one insert takes both.
    expect(counts).toEqual([1])
    const first = gate
    gate = Promise.resolve()
    release()
    await first
    await vi.advanceTimersByTimeAsync(0)
    expect(counts).toEqual([1, 2])
    await b.flush()
    expect(b.pending).toBe(0)
  })

  it('retries a failed insert with the same dedup token and never acks early', async () => {
    const tokens: string[] = []
    let fails = 2
    const b = batcher(async (_t, _c, _rows, token) => {
      tokens.push(token)
      if (fails-- > 0) throw new Error('ClickHouse down')
    }, { maxRows: 10, maxDelayMs: 10, retryBaseMs: 1 })
    let acked = 0
    b.add(['d', 0, 1], '["d",0,1]\n', () => acked++)
    b.add(['d', 0, 2], '["d",0,2]\n', () => acked++)
    await b.flush()
    expect(tokens).toHaveLength(3)
    expect(new Set(tokens).size).toBe(1)
    expect(acked).toBe(2)
    expect(b.stats.retries).toBe(2)
  })

  it('gives different batches different tokens', async () => {
    const tokens: string[] = []
    const b = batcher(async (_t, _c, _r, token) => void tokens.push(token), { maxRows: 1, maxDelayMs: 10, retryBaseMs: 1 })
    b.add(['d', 0, 1], '["d",0,1]\n')
    b.add(['d', 0, 2], '["d",0,2]\n')
    await b.flush()
    expect(tokens).toHaveLength(2)
    expect(tokens[0]).not.toBe(tokens[1])
  })
})

describe('batchToken', () => {
  const bytes = (...lines: string[]): Buffer[] => lines.map((l) => Buffer.from(l))

  it('depends on the batch bytes and the table, not on how the bytes are chunked', () => {
    const a = batchToken('t', bytes('["d",1,7]\n["d",1,8]\n'))
    expect(batchToken('t', bytes('["d",1,7]\n', '["d",1,8]\n'))).toBe(a)
    expect(batchToken('t', bytes('["d",2,7]\n["d",1,8]\n'))).not.toBe(a)
    expect(batchToken('u', bytes('["d",1,7]\n["d",1,8]\n'))).not.toBe(a)
  })

  it('gives a retried batch the token of its first attempt', async () => {
    const tokens: string[] = []
    let fails = 2
    const b = batcher(async (_t, _c, _r, token) => {
      tokens.push(token)
      if (fails-- > 0) throw new Error('ClickHouse down')
    }, { maxRows: 10, maxDelayMs: 60_000, retryBaseMs: 1 })
    b.add(['d', 0, 1], '["d",0,1]\n')
    await b.flush()
    expect(tokens).toHaveLength(3)
    expect(new Set(tokens).size).toBe(1)
  })
})

describe('BatcherOptions.keep', () => {
  it('hands the insert only the rows it keeps, with the count of all of them, and inserts every line', async () => {
    const seen: { count: number; rows: unknown[][]; lines: string }[] = []
    const b = new Batcher({
      table,
      insert: async (_t, _c, batch) => void seen.push({ count: batch.count, rows: batch.rows, lines: text(batch.bytes) }),
      batch: { maxRows: 3, maxDelayMs: 60_000, retryBaseMs: 1 },
      keep: (row) => row[2] === 2,
    })
    for (let i = 1; i <= 3; i++) b.add(['d', 0, i], table.lineOf(['d', 0, i]))
    await b.flush()
    expect(seen).toEqual([{ count: 3, rows: [['d', 0, 2]], lines: '["d",0,1]\n["d",0,2]\n["d",0,3]\n' }])
    expect(b.stats.rows).toBe(3)
  })
})

describe('Batcher.addLogged', () => {
  it('releases each logged row\'s WAL record once its batch is inserted, not before', async () => {
    const released: number[] = []
    let fails = 1
    const b = new Batcher({
      table,
      insert: async () => {
        expect(released).toEqual([])
        if (fails-- > 0) throw new Error('ClickHouse down')
      },
      batch: { maxRows: 10, maxDelayMs: 60_000, retryBaseMs: 1 },
      release: (lsn) => released.push(lsn),
    })
    b.addLogged(['d', 0, 1], '["d",0,1]\n', 41)
    b.addLogged(['d', 0, 2], '["d",0,2]\n', 42)
    await b.flush()
    expect(released).toEqual([41, 42])
  })
})

describe('Batcher.pending', () => {
  it('counts the batch being inserted until its insert returns', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const b = batcher(async () => gate, { maxRows: 2, maxDelayMs: 60_000, retryBaseMs: 1 })
    b.add(table.toRow({ device_id: 'd', n: 0, seq: 1 }), table.lineOf(table.toRow({ device_id: 'd', n: 0, seq: 1 })))
    b.add(table.toRow({ device_id: 'd', n: 0, seq: 2 }), table.lineOf(table.toRow({ device_id: 'd', n: 0, seq: 2 })))
    b.add(table.toRow({ device_id: 'd', n: 0, seq: 3 }), table.lineOf(table.toRow({ device_id: 'd', n: 0, seq: 3 })))
    expect(b.pending).toBe(3)
    release()
    await b.close()
    expect(b.pending).toBe(0)
  })
})

describe('LineBytes', () => {
  it('keeps every line, in order, as UTF-8, whole lines per chunk, over many chunks', () => {
    const b = new LineBytes()
    const lines: string[] = []
    // Multi-byte characters (2, 3 and 4 bytes in UTF-8) so a line cut at a chunk edge would show as U+FFFD.
    for (let i = 0; i < 20_000; i++) lines.push(`["tap-${i}","bière ☃ 🍺",${i}]\n`)
    for (const l of lines) b.append(l)
    const chunks = b.chunks()
    expect(chunks.length).toBeGreaterThan(1)
    expect(b.count).toBe(lines.length)
    expect(chunks.map((c) => c.toString('utf8')).join('')).toBe(lines.join(''))
    for (const c of chunks) expect(c.toString('utf8').endsWith('\n')).toBe(true)
  })

  it('takes a line longer than any chunk', () => {
    const b = new LineBytes()
    const long = `["${'x'.repeat(3 * 1024 * 1024)}"]\n`
    b.append('["a"]\n')
    b.append(long)
    b.append('["b"]\n')
    expect(Buffer.concat(b.chunks()).toString('utf8')).toBe(`["a"]\n${long}["b"]\n`)
  })

  it('has no chunks when empty', () => {
    expect(new LineBytes().chunks()).toEqual([])
  })
})
