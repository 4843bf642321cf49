// Bundles the product website into website/dist with esbuild: React, posthog-js and the pages in one script, no CDN.
import { build } from 'esbuild'
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const out = join(here, '..', 'dist')
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
await build({
  entryPoints: [join(here, 'src/main.tsx')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  // React's production build: no development checks, no double effects.
  define: { 'process.env.NODE_ENV': '"production"' },
  outfile: join(out, 'app.js'),
  legalComments: 'linked',
  logLevel: 'warning',
})
copyFileSync(join(here, 'index.html'), join(out, 'index.html'))
copyFileSync(join(here, 'style.css'), join(out, 'style.css'))
const kb = (f) => Math.round(statSync(join(out, f)).size / 1024)
console.log(`website built into ${out}: app.js ${kb('app.js')} KB, style.css ${kb('style.css')} KB`)
