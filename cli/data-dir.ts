import { closeSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { ConfigError } from '../common/index.js'
import { readStackInfo } from './stack-file.js'

export interface DataDirCheck {
  /** The command writes there (ClickHouse, the WAL, keys): create it and probe that a file can be written. Default: true. */
  write?: boolean
  /** The command owns the directory while it runs, so a live tapflow already using it is an error. Default: true. */
  exclusive?: boolean
}

/**
 * Checks `--data-dir` before a command touches it, so a wrong one is one line naming the path and the fix (exit 2)
 * instead of a raw ENOTDIR or EROFS from deep inside chDB or the WAL, or chDB's guess that another process holds it.
 * Writability is probed by creating a file, not read from the mode bits: root ignores those, a read-only mount does not.
 */
export function checkDataDir(dir: string, opts: DataDirCheck = {}): void {
  const { write = true, exclusive = true } = opts
  const notDir = firstNonDirectory(resolve(dir))
  if (notDir !== undefined) {
    const where = notDir === resolve(dir) ? `${dir} is a file` : `${dir} is under ${notDir}, which is a file`
    throw new ConfigError(`--data-dir ${where}, not a directory: pass a directory (it is created if missing)`)
  }
  if (write) {
    const probe = join(dir, `.tapflow-write-probe-${process.pid}`)
    try {
      mkdirSync(dir, { recursive: true })
      closeSync(openSync(probe, 'wx'))
      unlinkSync(probe)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error'
      throw new ConfigError(`--data-dir ${dir} is not writable (${code}): make it writable for this user, or pass another --data-dir`, { cause: err })
    }
  }
  const running = exclusive ? readStackInfo(dir) : undefined
  if (running !== undefined && running.pid !== process.pid) {
    throw new ConfigError(`--data-dir ${dir} is in use by another tapflow (pid ${running.pid}, started ${running.startedAt}): stop it, or pass another --data-dir`)
  }
}

/** The path itself or its nearest existing ancestor, when that is not a directory. */
function firstNonDirectory(path: string): string | undefined {
  for (let p = path; ; p = dirname(p)) {
    try {
      return statSync(p).isDirectory() ? undefined : p
    } catch {
      if (dirname(p) === p) return undefined
    }
  }
}
