import { ConfigError, hashString } from '../../../common/index.js'
import type { DeviceSpec, VenueSpec } from '../device/types.js'

/**
 * Device selectors, as typed on the CLI and in manifests: space- or ';'-separated `key=value[,value…]`
 * terms that must all match (`venue=ven-0003`, `type=pub region=uk`, `device=tap-0001-*`), or `all`.
 */
export const SELECTOR_KEYS = ['venue', 'device', 'firmware', 'type', 'region', 'country', 'city', 'beverage', 'line'] as const
export type SelectorKey = (typeof SELECTOR_KEYS)[number]

export interface Selector {
  text: string
  /** Empty: every device. */
  terms: readonly { key: SelectorKey; patterns: readonly RegExp[] }[]
}

export function parseSelector(text: string, where = 'selector'): Selector {
  const t = text.trim()
  if (t === '') throw new ConfigError(`${where}: empty selector (use 'all' for every device)`)
  if (t === 'all' || t === '*') return { text: t, terms: [] }
  const terms = t.split(/[\s;]+/).map((part) => {
    const m = /^([a-z_]+)=(.+)$/.exec(part)
    if (!m) throw new ConfigError(`${where}: '${part}' is not key=value (e.g. venue=ven-0003; or 'all')`)
    const key = m[1]!
    if (!(SELECTOR_KEYS as readonly string[]).includes(key)) {
      throw new ConfigError(`${where}: unknown key '${key}' in '${part}' (expected one of all, ${SELECTOR_KEYS.join(', ')})`)
    }
    const values = m[2]!.split(',')
    for (const v of values) {
      if (!/^[A-Za-z0-9_.*+ -]+$/.test(v)) throw new ConfigError(`${where}: bad value '${v}' in '${part}'`)
    }
    return { key: key as SelectorKey, patterns: values.map(glob) }
  })
  return { text: t, terms }
}

function glob(v: string): RegExp {
  return new RegExp(`^${v.replace(/[.+^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i')
}

function field(key: SelectorKey, d: DeviceSpec, v: VenueSpec, firmware: string): string {
  switch (key) {
    case 'venue': return d.venueId
    case 'device': return d.deviceId
    case 'firmware': return firmware
    case 'type': return v.type
    case 'region': return v.region
    case 'country': return v.country
    case 'city': return v.city
    case 'beverage': return d.beverageId
    case 'line': return String(d.lineId)
  }
}

export function matches(sel: Selector, d: DeviceSpec, venue: VenueSpec, firmware = d.firmware): boolean {
  return sel.terms.every((t) => t.patterns.some((p) => p.test(field(t.key, d, venue, firmware))))
}

/** A stable share of `items`: the same devices for the same salt, whatever order they come in. */
export function pickShare<T extends { deviceId: string }>(items: readonly T[], percent: number, salt: string): T[] {
  if (percent >= 100) return [...items]
  const n = Math.max(items.length > 0 && percent > 0 ? 1 : 0, Math.round((items.length * percent) / 100))
  const chosen = new Set(
    items
      .map((it) => ({ id: it.deviceId, h: hashString(`${salt}:${it.deviceId}`)[0] }))
      .sort((a, b) => a.h - b.h || (a.id < b.id ? -1 : 1))
      .slice(0, n)
      .map((x) => x.id),
  )
  return items.filter((it) => chosen.has(it.deviceId))
}
