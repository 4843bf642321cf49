import { useEffect, useState } from 'react'

const cache = new Map<string, Promise<unknown>>()

/** GET a JSON endpoint once per page load; the error is the server's one-line reason. */
export function getJson<T>(url: string): Promise<T> {
  let p = cache.get(url)
  if (p === undefined) {
    p = fetch(url).then(async (r) => {
      const body = (await r.json()) as unknown
      if (!r.ok) throw new Error((body as { error?: string }).error ?? `${url}: HTTP ${r.status}`)
      return body
    })
    p.catch(() => cache.delete(url))
    cache.set(url, p)
  }
  return p as Promise<T>
}

export type Loaded<T> = { data: T; error?: undefined } | { data?: undefined; error: string } | { data?: undefined; error?: undefined }

export function useJson<T>(url: string): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({})
  useEffect(() => {
    let live = true
    getJson<T>(url).then((data) => live && setState({ data }), (err: Error) => live && setState({ error: err.message }))
    return () => {
      live = false
    }
  }, [url])
  return state
}

export async function postJson<T>(url: string, body: unknown): Promise<T> {
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
  const answer = (await r.json().catch(() => ({}))) as { error?: string }
  if (!r.ok) throw new Error(answer.error ?? `HTTP ${r.status}`)
  return answer as T
}
