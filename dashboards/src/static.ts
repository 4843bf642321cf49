import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { ServerResponse } from 'node:http'
import { fileUnder, sendFile } from '../../common/index.js'

/** Serves the built UI from `dir`; `/` and unknown client routes get index.html. */
export function serveStatic(dir: string, path: string, res: ServerResponse): void {
  if (!existsSync(join(dir, 'index.html'))) {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' })
    res.end(`the dashboard UI is not built: run 'npm run build:web' (or 'make install'); the JSON API is at /api\n`)
    return
  }
  sendFile(fileUnder(dir, path) ?? join(dir, 'index.html'), res, false)
}
