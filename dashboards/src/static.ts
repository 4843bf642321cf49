import { existsSync, readFileSync, statSync } from 'node:fs'
import { extname, join, normalize, sep } from 'node:path'
import type { ServerResponse } from 'node:http'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
}

/** Serves the built UI from `dir`; `/` and unknown client routes get index.html. */
export function serveStatic(dir: string, path: string, res: ServerResponse): void {
  if (!existsSync(join(dir, 'index.html'))) {
    res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' })
    res.end(`the dashboard UI is not built: run 'npm run build:web' (or 'make install'); the JSON API is at /api\n`)
    return
  }
  let decoded = path
  try {
    decoded = decodeURIComponent(path)
  } catch {
    // Malformed escapes fall through to index.html.
  }
  const rel = normalize(decoded).replace(/^([/\\])+/, '')
  let file = join(dir, rel)
  if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) file = join(dir, 'index.html')
  const hashed = /\.[0-9A-Z]{8}\./.test(file)
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Cache-Control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  })
  res.end(readFileSync(file))
}
