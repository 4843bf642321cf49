import { useMemo, useState } from 'react'
import type { DocPage } from '../../../api.js'
import { track } from '../analytics.js'
import { useJson } from '../data.js'
import { Link } from '../router.js'
import { useDebounced, usePage } from './page.js'
import { search } from '../search.js'

export function Docs({ slug }: { slug: string | undefined }) {
  usePage('Documentation')
  const docs = useJson<DocPage[]>('/api/docs')
  const [query, setQuery] = useState('')
  const pages = docs.data ?? []
  const hits = useMemo(() => search(pages, query), [pages, query])
  const report = useDebounced((q: string) => track('documentation_searched', { query: q, results: search(pages, q).length }), 600)
  const page = pages.find((p) => p.slug === (slug ?? 'readme')) ?? pages[0]
  return (
    <div className="docs">
      <aside aria-label="Documentation">
        <form role="search" onSubmit={(e) => e.preventDefault()}>
          <label htmlFor="docs-q">Search the docs</label>
          <input id="docs-q" type="search" value={query} onChange={(e) => {
            setQuery(e.target.value)
            if (e.target.value.trim() !== '') report(e.target.value.trim())
          }} />
        </form>
        {query.trim() !== '' ? (
          <section aria-live="polite" aria-labelledby="docs-results">
            <h2 id="docs-results">{hits.length} {hits.length === 1 ? 'page matches' : 'pages match'}</h2>
            <ol className="hits">{hits.map((h) => <li key={h.page.slug}><Link to={`/docs/${h.page.slug}`}>{h.page.title}</Link> <span className="muted">({h.count})</span><p>{h.snippet}</p></li>)}</ol>
          </section>
        ) : (
          <nav aria-label="Documentation pages">
            <ul>{pages.map((p) => <li key={p.slug}><Link to={`/docs/${p.slug}`} aria-current={p === page ? 'page' : undefined}>{p.title}</Link> <span className="muted">{p.file}</span></li>)}</ul>
          </nav>
        )}
      </aside>
      <article className="doc">
        {docs.error !== undefined && <p role="alert">The documentation is unavailable: {docs.error}</p>}
        {docs.data === undefined && docs.error === undefined && <p aria-busy="true">Loading the documentation…</p>}
        {/* Rendered on the server by marked from the repository's own README.md and docs/*.md. */}
        {page !== undefined && <div dangerouslySetInnerHTML={{ __html: page.html }} />}
      </article>
    </div>
  )
}
