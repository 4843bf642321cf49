import { crc32 } from 'node:zlib'

/**
 * On-disk record framing: `u32 length | u32 crc32(body) | body`, body = `f64 lsn | payload`. The checksum covers
 * the LSN and the payload, so a torn or bit-flipped record is detected and never replayed. Two payload versions:
 * - v2 (written now): `u8 2 | u8 table name length | table name | the row's JSONCompactEachRow line` (the spec's
 *   `lineOf`), the same bytes the insert sends, so a row is encoded once on its way to ClickHouse;
 * - v1 (read only, logs from before v2): UTF-8 JSON `[table, row]`. Its first byte is `[` (0x5b), never 2.
 */
export type WalRecord = { lsn: number; table: string } & ({ line: string; row?: undefined } | { row: unknown[]; line?: undefined })

const HEADER = 8
const VERSION_LINE = 2
const JSON_ARRAY = 0x5b

/** Table names in their on-disk form, once each: a process writes to a handful of tables. */
const tableBytes = new Map<string, Buffer>()

function nameBytes(table: string): Buffer {
  let b = tableBytes.get(table)
  if (b === undefined) {
    b = Buffer.from(table, 'utf8')
    if (b.length > 255) throw new Error(`table name too long for the WAL: ${table.slice(0, 64)}`)
    tableBytes.set(table, b)
  }
  return b
}

/** The record's size on disk. */
export function recordSize(table: string, line: string): number {
  return HEADER + 8 + 2 + nameBytes(table).length + Buffer.byteLength(line, 'utf8')
}

/**
 * At least the record's size on disk (a UTF-16 unit takes at most 3 UTF-8 bytes): room enough for `writeRecord`
 * without counting the line's bytes first, a second pass over every line the WAL takes.
 */
export function maxRecordSize(table: string, line: string): number {
  return HEADER + 8 + 2 + nameBytes(table).length + 3 * line.length
}

/** Writes one v2 record at `off` in `buf` (which has `maxRecordSize` bytes there); returns the offset after it. */
export function writeRecord(buf: Buffer, off: number, lsn: number, table: string, line: string): number {
  const name = nameBytes(table)
  const body = off + HEADER
  buf.writeDoubleLE(lsn, body)
  buf[body + 8] = VERSION_LINE
  buf[body + 9] = name.length
  name.copy(buf, body + 10)
  const end = body + 10 + name.length + buf.write(line, body + 10 + name.length, 'utf8')
  buf.writeUInt32LE(end - body, off)
  buf.writeUInt32LE(crc32(buf.subarray(body, end)), off + 4)
  return end
}

/** One v2 record in its own buffer (tests, tools). */
export function encodeRecord(lsn: number, table: string, line: string): Buffer {
  const buf = Buffer.allocUnsafe(recordSize(table, line))
  writeRecord(buf, 0, lsn, table, line)
  return buf
}

/** One v1 record, as gateways before the v2 format wrote them: only tests need to make one now. */
export function encodeRecordV1(lsn: number, table: string, row: readonly unknown[]): Buffer {
  const json = Buffer.from(JSON.stringify([table, row]), 'utf8')
  const buf = Buffer.allocUnsafe(HEADER + 8 + json.length)
  buf.writeUInt32LE(8 + json.length, 0)
  buf.writeDoubleLE(lsn, HEADER)
  json.copy(buf, HEADER + 8)
  buf.writeUInt32LE(crc32(buf.subarray(HEADER)), 4)
  return buf
}

export interface ScanResult {
  records: WalRecord[]
  /** Bytes of whole, checksummed records from the start of the buffer. */
  validBytes: number
  /** Why scanning stopped before the end, if it did. */
  stopped?: 'torn' | 'checksum' | 'malformed'
}

/** Reads records until the end or the first bad one; everything after a bad record is untrusted. */
export function scanRecords(buf: Buffer): ScanResult {
  const records: WalRecord[] = []
  let off = 0
  while (off < buf.length) {
    if (buf.length - off < HEADER) return { records, validBytes: off, stopped: 'torn' }
    const len = buf.readUInt32LE(off)
    if (len < 9 || off + HEADER + len > buf.length) return { records, validBytes: off, stopped: 'torn' }
    const body = buf.subarray(off + HEADER, off + HEADER + len)
    if (crc32(body) !== buf.readUInt32LE(off + 4)) return { records, validBytes: off, stopped: 'checksum' }
    const record = parseBody(body)
    if (record === undefined) return { records, validBytes: off, stopped: 'malformed' }
    records.push(record)
    off += HEADER + len
  }
  return { records, validBytes: off }
}

function parseBody(body: Buffer): WalRecord | undefined {
  const lsn = body.readDoubleLE(0)
  if (body[8] === VERSION_LINE) {
    const nameLen = body[9]
    if (nameLen === undefined || body.length < 10 + nameLen) return undefined
    return { lsn, table: body.toString('utf8', 10, 10 + nameLen), line: body.toString('utf8', 10 + nameLen) }
  }
  if (body[8] !== JSON_ARRAY) return undefined
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8', 8))
    if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || !Array.isArray(parsed[1])) return undefined
    return { lsn, table: parsed[0], row: parsed[1] as unknown[] }
  } catch {
    return undefined
  }
}
