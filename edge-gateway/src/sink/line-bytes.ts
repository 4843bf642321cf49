/** First chunk of a batch's bytes; each next one doubles, up to `MAX_CHUNK`. */
const FIRST_CHUNK = 64 * 1024
const MAX_CHUNK = 1024 * 1024

/**
 * A batch's JSONCompactEachRow lines, kept as UTF-8 bytes in a few large buffers rather than as one string per row.
 * Strings that wait ~500 ms for their insert outlive young-generation collections and are copied into the old
 * generation, one heap object per row; bytes off the JS heap cost the collector nothing, and the insert sends the
 * chunks as they are. A line never straddles two chunks, so each chunk is valid UTF-8 on its own.
 */
export class LineBytes {
  private readonly full: Buffer[] = []
  private buf: Buffer | undefined
  private len = 0
  /** Lines appended. */
  count = 0

  /** Appends one line (its `\n` included, as `spec.lineOf` makes it). */
  append(line: string): void {
    // A UTF-16 unit takes at most 3 UTF-8 bytes: enough room without counting the line's bytes first.
    const room = 3 * line.length
    if (this.buf === undefined || this.len + room > this.buf.length) this.roll(room)
    this.len += this.buf!.write(line, this.len)
    this.count++
  }

  /** The bytes so far, in order. */
  chunks(): Buffer[] {
    return this.buf === undefined || this.len === 0 ? this.full.slice() : [...this.full, this.buf.subarray(0, this.len)]
  }

  private roll(room: number): void {
    if (this.buf !== undefined && this.len > 0) this.full.push(this.buf.subarray(0, this.len))
    const next = this.buf === undefined ? FIRST_CHUNK : Math.min(this.buf.length * 2, MAX_CHUNK)
    this.buf = Buffer.allocUnsafeSlow(Math.max(next, room))
    this.len = 0
  }
}
