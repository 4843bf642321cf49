import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { open as openFile, type FileHandle } from 'node:fs/promises'
import { crc32 } from 'node:zlib'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Logger } from '../../common/index.js'
import { WriteAheadLog, encodeRecord, encodeRecordV1, parseByteSize, scanRecords } from '../index.js'

let dir: string
const open: WriteAheadLog[] = []
const walAt = (opts: Partial<Parameters<typeof WriteAheadLog.open>[0]> = {}): WriteAheadLog => {
  const w = WriteAheadLog.open({ dir, ...opts })
  open.push(w)
  return w
}
const appendN = (w: WriteAheadLog, n: number, table = 't'): Promise<number[]> =>
  Promise.all(Array.from({ length: n }, (_, i) => new Promise<number>((r) => {
    const lsn = w.append(table, `dev-${i}\t${i}\t${'x'.repeat(100)}\n`, () => r(lsn))
  })))
const segments = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.wal'))

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tapflow-wal-'))
})
afterEach(async () => {
  for (const w of open.splice(0)) await w.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('record framing', () => {
  it('round-trips and stops at a torn or corrupt record', () => {
    const a = encodeRecord(1, 'tapflow.pours', 'd\t1\ttrue\t[1,2]\n')
    const b = encodeRecord(2, 'tapflow.pours', 'd\t2\tfalse\t[]\n')
    expect(scanRecords(Buffer.concat([a, b]))).toEqual({
      records: [{ lsn: 1, table: 'tapflow.pours', line: 'd\t1\ttrue\t[1,2]\n' }, { lsn: 2, table: 'tapflow.pours', line: 'd\t2\tfalse\t[]\n' }],
      validBytes: a.length + b.length,
    })
    expect(scanRecords(Buffer.concat([a, b.subarray(0, b.length - 1)]))).toMatchObject({ validBytes: a.length, stopped: 'torn' })
    const flipped = Buffer.concat([a, b])
    flipped[a.length + 20]! ^= 0xff
    expect(scanRecords(flipped)).toMatchObject({ validBytes: a.length, stopped: 'checksum' })
  })

  it('reads a v1 (JSON) record written by an older gateway, in the same segment as v2 records', () => {
    const old = encodeRecordV1(1, 'tapflow.pours', ['d', 1, true, [1, 2]])
    const now = encodeRecord(2, 'tapflow.pours', 'd\t2\tfalse\t[]\n')
    expect(old[16]).toBe(0x5b)
    expect(now[16]).toBe(2)
    expect(scanRecords(Buffer.concat([old, now]))).toEqual({
      records: [{ lsn: 1, table: 'tapflow.pours', row: ['d', 1, true, [1, 2]] }, { lsn: 2, table: 'tapflow.pours', line: 'd\t2\tfalse\t[]\n' }],
      validBytes: old.length + now.length,
    })
  })

  it('rejects a record of an unknown version as malformed', () => {
    const bad = encodeRecord(1, 't', 'x\n')
    bad[16] = 9
    bad.writeUInt32LE(crc32(bad.subarray(8)), 4)
    expect(scanRecords(bad)).toMatchObject({ records: [], validBytes: 0, stopped: 'malformed' })
  })
})

describe('WriteAheadLog', () => {
  for (const fsync of ['always', 'interval', 'never'] as const) {
    it(`acknowledges appends and replays them after a restart (fsync ${fsync})`, async () => {
      const w = walAt({ fsync })
      const lsns = await appendN(w, 500)
      expect(lsns).toEqual(Array.from({ length: 500 }, (_, i) => i + 1))
      expect(w.depth).toBe(500)
      await w.close()
      const again = walAt({ fsync })
      expect(again.recovered.map((r) => r.lsn)).toEqual(lsns)
      expect(again.recovered[7]).toEqual({ lsn: 8, table: 't', line: `dev-7\t7\t${'x'.repeat(100)}\n` })
      // New records continue the LSN sequence.
      expect(await appendN(again, 1)).toEqual([501])
    })
  }

  it('deletes a sealed segment once every record in it is released, and only then', async () => {
    const w = walAt({ segmentBytes: 4096 })
    const lsns = await appendN(w, 200)
    const before = segments().length
    expect(before).toBeGreaterThan(3)
    for (const lsn of lsns.slice(0, 100)) w.release(lsn)
    const mid = segments().length
    expect(mid).toBeLessThan(before)
    expect(mid).toBeGreaterThan(1)
    await w.close()
    // Whatever survived still holds every unreleased record.
    const again = walAt({ segmentBytes: 4096 })
    const replayed = new Set(again.recovered.map((r) => r.lsn))
    for (const lsn of lsns.slice(100)) expect(replayed.has(lsn)).toBe(true)
    for (const r of again.recovered) again.release(r.lsn)
    await again.close()
    expect(segments()).toEqual([])
  })

  it('truncates a torn tail left by a crash and keeps every whole record', async () => {
    const w = walAt()
    await appendN(w, 50)
    await w.close()
    const [seg] = segments()
    appendFileSync(join(dir, seg!), encodeRecord(51, 't', 'half\n').subarray(0, 10))
    const again = walAt()
    expect(again.recovered).toHaveLength(50)
    expect(readFileSync(join(dir, seg!)).length).toBe(scanRecords(readFileSync(join(dir, seg!))).validBytes)
  })

  it('reports a corrupt record in an older segment and keeps the records before it', async () => {
    const w = walAt({ segmentBytes: 4096 })
    await appendN(w, 100)
    await w.close()
    const first = join(dir, segments()[0]!)
    const buf = readFileSync(first)
    buf[buf.length - 5]! ^= 0xff
    writeFileSync(first, buf)
    const again = walAt({ segmentBytes: 4096 })
    expect(again.stats.corruptSegments).toBe(1)
    expect(again.recovered.length).toBe(99)
  })

  it('is full at maxBytes and frees space as records are released', async () => {
    const w = walAt({ maxBytes: 1024 * 1024, segmentBytes: 64 * 1024 })
    const lsns: number[] = []
    while (!w.full) lsns.push(...(await appendN(w, 100)))
    expect(w.bytes).toBeGreaterThanOrEqual(1024 * 1024)
    let roomy = false
    const space = w.whenSpace().then(() => (roomy = true))
    await new Promise((r) => setTimeout(r, 20))
    expect(roomy).toBe(false)
    for (const lsn of lsns) w.release(lsn)
    await w.sync()
    await space
    expect(w.full).toBe(false)
    expect(w.depth).toBe(0)
  })

  it('logs and counts an fsync that fails after the records were reported durable', async () => {
    const lines: Record<string, unknown>[] = []
    const logger: Logger = pino({ level: 'error' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) })
    // Every FileHandle shares one prototype: make its datasync fail before the WAL's interval timer calls it.
    const probe = await openFile(join(dir, 'probe'), 'w')
    const datasync = vi.spyOn(Object.getPrototypeOf(probe) as FileHandle, 'datasync').mockRejectedValue(new Error('EIO: disk on fire'))
    await probe.close()
    try {
      const w = walAt({ fsync: 'interval', fsyncIntervalMs: 10, logger })
      await appendN(w, 3)
      await vi.waitFor(() => expect(w.stats.fsyncErrors).toBeGreaterThan(0), { timeout: 10_000 })
    } finally {
      datasync.mockRestore()
    }
    expect(lines.some((l) => l.msg === 'WAL fsync failed: records already reported durable may not survive power loss' && l.err === 'EIO: disk on fire')).toBe(true)
  })

  it('rejects bad options with one clear line', () => {
    expect(() => WriteAheadLog.open({ dir, fsync: 'sometimes' as 'always' })).toThrow(/WalOptions.fsync must be one of always, interval, never/)
    expect(() => WriteAheadLog.open({ dir, maxBytes: 10 })).toThrow(/at least 1 MiB/)
    expect(parseByteSize('256MiB')).toBe(256 * 1024 * 1024)
    expect(parseByteSize('2g')).toBe(2 * 1024 ** 3)
    expect(() => parseByteSize('lots')).toThrow(/expected a size/)
  })
})
