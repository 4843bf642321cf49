import { existsSync, readFileSync, statSync } from 'node:fs'
import { extname, join, normalize, sep } from 'node:path'
import type { ServerResponse } from 'node:http'

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
}

/** The file under `dir` that `urlPath` names, or undefined (missing, a directory, or outside `dir`). */
export function fileUnder(dir: string, urlPath: string): string | undefined {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath)
  } catch {
    return undefined
  }
  const file = join(dir, normalize(decoded).replace(/^([/\\])+/, ''))
  return file.startsWith(dir + sep) && existsSync(file) && statSync(file).isFile() ? file : undefined
}

/**
 * Sends a file of a built UI (the dashboard's, the website's); content-hashed names (`app-ABCD1234.js`,
 * `app.ABCD1234.js`) are cached for good, the rest revalidated.
 */
export function sendFile(file: string, res: ServerResponse, head: boolean): void {
  const body = readFileSync(file)
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Cache-Control': /[.-][0-9A-Z]{8}\.[a-z]+$/.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  })
  res.end(head ? undefined : body)
}

