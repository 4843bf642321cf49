import { ConfigError } from '../../../common/index.js'

/** A model reference as users write it: `name`, `name@3` (a version) or `name@champion` (an alias). */
export type ModelRef = { name: string; version?: number; alias?: string }

const NAME = /^[a-z][a-z0-9_-]{0,62}$/
const ALIAS = /^[a-z][a-z0-9_-]{0,62}$/

export function checkModelName(name: string): string {
  if (!NAME.test(name)) throw new ConfigError(`bad model name '${name}': lower-case letters, digits, '_' and '-', starting with a letter`)
  return name
}

export function checkAlias(alias: string): string {
  if (!ALIAS.test(alias)) throw new ConfigError(`bad alias '${alias}': lower-case letters, digits, '_' and '-', starting with a letter (e.g. champion)`)
  return alias
}

/** Parses `name[@version|@alias]`; throws a ConfigError naming the expected forms. */
export function parseModelRef(ref: string): ModelRef {
  const at = ref.indexOf('@')
  const name = checkModelName(at < 0 ? ref : ref.slice(0, at))
  if (at < 0) return { name }
  const tail = ref.slice(at + 1)
  if (/^\d+$/.test(tail)) {
    const version = Number(tail)
    if (version < 1 || !Number.isSafeInteger(version)) throw new ConfigError(`bad version in '${ref}': versions start at 1`)
    return { name, version }
  }
  if (tail === '') throw new ConfigError(`bad model reference '${ref}': expected name, name@<version> or name@<alias>`)
  return { name, alias: checkAlias(tail) }
}

export function formatModelRef(r: ModelRef): string {
  return r.version !== undefined ? `${r.name}@${r.version}` : r.alias !== undefined ? `${r.name}@${r.alias}` : r.name
}
