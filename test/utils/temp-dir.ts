import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'

export interface TempDir {
  /** The directory; read it inside tests and hooks, once beforeAll has run. */
  readonly path: string
}

/** A fresh `tapflow-<name>-…` directory under the OS temp dir for this file's tests, removed after them. */
export function useTempDir(name: string): TempDir {
  let dir: string | undefined
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `tapflow-${name}-`))
  })
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })
  return {
    get path(): string {
      if (dir === undefined) throw new Error(`useTempDir('${name}'): read .path inside a test or hook`)
      return dir
    },
  }
}
