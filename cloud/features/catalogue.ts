import { pathToFileURL } from 'node:url'
import { formatDuration } from '../../common/index.js'
import { Registry } from './registry.js'

export const CATALOGUE_START = '<!-- feature-catalogue:start (generated: npx tsx cloud/features/catalogue.ts) -->'
export const CATALOGUE_END = '<!-- feature-catalogue:end -->'

const cell = (s: string): string => s.replaceAll('|', '\\|')

/** The README's feature catalogue, generated from the definitions (a test checks the README holds exactly this). */
export function featureCatalogue(reg = new Registry()): string {
  const views = reg.views.map((v) => `| \`${v.name}\` | ${v.entity} | ${cell(v.source)} | ${formatDuration(v.ttlMs)} | v${v.version} | ${v.owner} | ${cell(v.description)} |`)
  const feats = reg.list().map((f) => `| \`${f.name}\` | ${f.entity} | \`${f.view}\` | ${f.type} | ${formatDuration(f.ttlMs)} | ${cell(f.description)} |`)
  return [
    CATALOGUE_START,
    `${reg.list().length} features over ${reg.entities.length} entities (${reg.entities.map((e) => `\`${e.name}\` by \`${e.joinKey}\``).join(', ')}).`,
    '',
    '| View | Entity | Source | TTL | Version | Owner | Description |',
    '|---|---|---|---|---|---|---|',
    ...views,
    '',
    '| Feature | Entity | View | Type | TTL | Description |',
    '|---|---|---|---|---|---|',
    ...feats,
    CATALOGUE_END,
  ].join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.stdout.write(featureCatalogue() + '\n')
