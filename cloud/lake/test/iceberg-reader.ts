import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { icebergRead } from 'icebird'

/**
 * Read a local Iceberg table with icebird (an Iceberg reader on hyparquet that none of our code is in). icebird
 * fetches over HTTP, so fetch is pointed at the local files (with Range support) while it reads.
 */
export async function readIcebergTable(dir: string, metadataFileName?: string): Promise<Record<string, unknown>[]> {
  const files = (await readdir(join(dir, 'metadata'))).filter((f) => /^v\d+\.metadata\.json$/.test(f))
  const latest = metadataFileName ?? files.sort((a, b) => Number(a.slice(1).split('.')[0]) - Number(b.slice(1).split('.')[0])).at(-1)
  const realFetch = globalThis.fetch
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const path = url.startsWith('file://') ? new URL(url).pathname : url
    const buf = await readFile(path)
    const range = new Headers(init?.headers).get('range')
    if (init?.method === 'HEAD') return new Response(null, { headers: { 'content-length': String(buf.length) } })
    const m = range ? /bytes=(\d+)-(\d*)/.exec(range) : null
    const body = m ? buf.subarray(Number(m[1]), m[2] ? Number(m[2]) + 1 : buf.length) : buf
    return new Response(body, { status: m ? 206 : 200, headers: { 'content-length': String(body.length) } })
  }) as typeof fetch
  try {
    return (await icebergRead({ tableUrl: dir, metadataFileName: latest })) as Record<string, unknown>[]
  } finally {
    globalThis.fetch = realFetch
  }
}
