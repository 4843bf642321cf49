import type { DocPage } from '../../api.js'

export interface Hit {
  page: DocPage
  count: number
  snippet: string
}

/** Pages holding every word of the query, most mentions first, with the first mention in context. */
export function search(pages: readonly DocPage[], query: string): Hit[] {
  const words = query.toLowerCase().split(/\s+/).filter((w) => w !== '')
  if (words.length === 0) return []
  const hits: Hit[] = []
  for (const page of pages) {
    const text = page.text.toLowerCase()
    if (!words.every((w) => text.includes(w))) continue
    const count = words.reduce((n, w) => n + text.split(w).length - 1, 0)
    const at = text.indexOf(words[0]!)
    const snippet = `${at > 60 ? '…' : ''}${page.text.slice(Math.max(0, at - 60), at + 120)}…`
    hits.push({ page, count, snippet })
  }
  return hits.sort((a, b) => b.count - a.count)
}
