import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Builds the UI once if `make install` has not (tests run from a fresh checkout too). */
export function ensureWebBuilt(): void {
  if (existsSync(fileURLToPath(new URL('../web/dist/app.js', import.meta.url)))) return
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('../web/build.mjs', import.meta.url))], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`building the dashboard UI failed: ${r.stderr}`)
}
