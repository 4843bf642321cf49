import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** website/dist, where `npm run build:site` puts the bundle. */
export const SITE_DIR = fileURLToPath(new URL('./dist', import.meta.url))

/** Builds the site once if `make install` has not (tests and benchmarks run from a fresh checkout too). */
export function ensureSiteBuilt(): void {
  if (existsSync(fileURLToPath(new URL('./dist/app.js', import.meta.url)))) return
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('./web/build.mjs', import.meta.url))], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`building the website failed: ${r.stderr}`)
}
