import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const HERE = dirname(fileURLToPath(import.meta.url))

/**
 * The code that trained a model: the git commit (with `-dirty` when tracked files were changed), or the package
 * version when this is not a git checkout (an npm install, a container without .git).
 */
export function codeVersion(): string {
  try {
    const out = execFileSync('git', ['describe', '--always', '--dirty', '--abbrev=40'], { cwd: HERE, stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 })
    const v = out.toString().trim()
    if (v !== '') return `git:${v}`
  } catch {
    // not a checkout, or no git: fall through
  }
  const pkg = JSON.parse(readFileSync(join(HERE, '..', '..', '..', 'package.json'), 'utf8')) as { name?: string; version?: string }
  return `${pkg.name ?? 'tapflow'}@${pkg.version ?? '0.0.0'}`
}
