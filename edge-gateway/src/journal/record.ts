import { crc32 } from 'node:zlib'

/**
 * On-disk record framing: `u32 length | u32 crc32(body) | body`, body = `f64 lsn | utf-8 JSON [table, row]`.
 * The checksum covers the LSN and the JSON, so a torn or bit-flipped record is detected and never replayed.
 */
export interface WalRecord {
  /** Log sequence number: rises by one per record, across segments and restarts. */
  lsn: number
  table: string
  row: unknown[]
}

const HEADER = 8

export function encodeRecord(lsn: number, table: string, row: readonly unknown[]): Buffer {
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
    if (len < 8 || off + HEADER + len > buf.length) return { records, validBytes: off, stopped: 'torn' }
    const body = buf.subarray(off + HEADER, off + HEADER + len)
    if (crc32(body) !== buf.readUInt32LE(off + 4)) return { records, validBytes: off, stopped: 'checksum' }
    try {
      const parsed: unknown = JSON.parse(body.subarray(8).toString('utf8'))
      if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || !Array.isArray(parsed[1])) throw new Error('shape')
      records.push({ lsn: body.readDoubleLE(0), table: parsed[0], row: parsed[1] as unknown[] })
    } catch {
      return { records, validBytes: off, stopped: 'malformed' }
    }
    off += HEADER + len
  }
  return { records, validBytes: off }
}
