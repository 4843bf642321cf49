import { mkdirSync, readFileSync, renameSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import { ConfigError, errorMessage } from '../../../common/index.js'

/** One revoked device credential: its MQTT username `<venue_id>/<device_id>`. */
export interface Revocation {
  device: string
  /** ISO time of the revocation. */
  at: string
  reason?: string
}

interface FileShape {
  revoked: Revocation[]
}

/**
 * Devices refused at connect without rotating the fleet key: `<data-dir>/security/revoked.json`.
 * `has` re-reads the file when its inode, size or mtime changed (one stat per connect), so a revocation
 * holds for the very next CONNECT; `watch` reports changes so a broker can drop sessions already open.
 * The file is replaced atomically (write + rename), so a reader never sees half of it.
 */
export class RevocationList {
  private entries = new Map<string, Revocation>()
  private stamp = ''

  constructor(readonly file: string) {
    this.refresh()
  }

  /**
   * Whether `username` is revoked, as of the file on disk now. If the file cannot be read, the last list
   * read stays in force: with `onError` the error is reported there (once per change of the file), else thrown.
   */
  has(username: string, onError?: (err: unknown) => void): boolean {
    try {
      this.refresh()
    } catch (err) {
      if (onError === undefined) throw err
      onError(err)
    }
    return this.entries.has(username)
  }

  list(): Revocation[] {
    this.refresh()
    return [...this.entries.values()]
  }

  /** Adds `device` (`<venue>/<device>`); false if it was already revoked. */
  revoke(device: string, at: Date, reason?: string): boolean {
    this.refresh()
    if (this.entries.has(device)) return false
    this.entries.set(device, reason === undefined ? { device, at: at.toISOString() } : { device, at: at.toISOString(), reason })
    this.save()
    return true
  }

  /** Removes `device`; false if it was not revoked. */
  unrevoke(device: string): boolean {
    this.refresh()
    if (!this.entries.delete(device)) return false
    this.save()
    return true
  }

  /** Calls `onChange` after the file changed on disk (debounced by the stat stamp). Returns a stop function. */
  watch(onChange: () => void, onError: (err: unknown) => void = () => undefined): () => void {
    mkdirSync(dirname(this.file), { recursive: true })
    const name = basename(this.file)
    let watcher: FSWatcher | undefined = watch(dirname(this.file), { persistent: false }, (_event, f) => {
      if (f !== null && f !== name) return
      try {
        if (this.refresh()) onChange()
      } catch (err) {
        onError(err)
      }
    })
    watcher.on('error', onError)
    return () => {
      watcher?.close()
      watcher = undefined
    }
  }

  /** Re-reads the file if it changed; returns whether it did. A missing file is an empty list. */
  refresh(): boolean {
    const st = statSync(this.file, { throwIfNoEntry: false })
    const stamp = st === undefined ? '' : `${st.ino}:${st.size}:${st.mtimeMs}`
    if (stamp === this.stamp) return false
    // The stamp moves first: a broken file is reported once, and the last good list stays in force.
    this.stamp = stamp
    this.entries = new Map((st === undefined ? [] : this.read()).map((r) => [r.device, r]))
    return true
  }

  private read(): Revocation[] {
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(this.file, 'utf8'))
    } catch (err) {
      throw new ConfigError(`revocation list ${this.file} is unreadable: ${errorMessage(err)}`)
    }
    const list = (parsed as Partial<FileShape> | null)?.revoked
    if (!Array.isArray(list) || !list.every((r: Partial<Revocation> | null) => typeof r?.device === 'string' && typeof r.at === 'string')) {
      throw new ConfigError(`revocation list ${this.file}: expected {"revoked": [{"device": "<venue>/<device>", "at": "<ISO time>"}]}`)
    }
    return list as Revocation[]
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true })
    const tmp = `${this.file}.${process.pid}.tmp`
    const body: FileShape = { revoked: [...this.entries.values()] }
    writeFileSync(tmp, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 })
    renameSync(tmp, this.file)
    this.refresh()
  }
}
