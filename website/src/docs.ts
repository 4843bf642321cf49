import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { basename, dirname, join, posix } from 'node:path'
import { marked, type MarkedToken } from 'marked'
import type { DocPage } from '../api.js'

/** The repository's own documentation: README.md first, then docs/*.md by name. */
export function docFiles(root: string): string[] {
  const docs = existsSync(join(root, 'docs')) ? readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`) : []
  return [...(existsSync(join(root, 'README.md')) ? ['README.md'] : []), ...docs]
}

export function slugOf(file: string): string {
  return basename(file, '.md').toLowerCase()
}

/**
 * Renders each file with marked. Links between the files become the site's /docs/<slug> routes and images are
 * served from /files/<path>, since the pages no longer sit beside the files they point at.
 */
export function renderDocs(root: string): DocPage[] {
  const files = docFiles(root)
  const slugs = new Map(files.map((f) => [f, slugOf(f)]))
  return files.map((file) => {
    const src = readFileSync(join(root, file), 'utf8')
    const dir = dirname(file)
    const walkTokens = (t: MarkedToken): void => {
      if ((t.type !== 'link' && t.type !== 'image') || t.href === undefined || /^([a-z]+:|#|\/)/i.test(t.href)) return
      const [path = '', anchor] = t.href.split('#')
      const target = posix.normalize(posix.join(dir, path))
      const slug = slugs.get(target)
      if (slug !== undefined) t.href = `/docs/${slug}${anchor === undefined ? '' : `#${anchor}`}`
      else if (t.type === 'image') t.href = `/files/${target}`
    }
    // Code blocks and wide tables scroll sideways: focusable, so keyboard users can scroll them too.
    const html = marked.parse(src, { walkTokens, mangle: false }).replace(/<(pre|table)>/g, '<$1 tabindex="0">')
    const title = marked.lexer(src).find((t) => t.type === 'heading' && t.depth === 1)?.text ?? basename(file)
    const text = html.replace(/<[^>]+>/g, ' ').replace(/&[a-z#0-9]+;/gi, ' ').replace(/\s+/g, ' ').trim()
    return { slug: slugs.get(file)!, title, file, html, text }
  })
}
