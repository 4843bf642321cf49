import { DERIVED_FEATURES, ENTITIES, FEATURE_VIEWS } from './definitions.js'
import { FeatureInputError } from './errors.js'
import type { DerivedFeature, Entity, Feature, FeatureType, FeatureView } from './types.js'

/** A feature with where it comes from. Derived features have no view of their own and take the tightest TTL. */
export interface ResolvedFeature {
  name: string
  type: FeatureType
  description: string
  entity: string
  owner: string
  version: number
  ttlMs: number
  /** The view name, or `derived`. */
  view: string
}

const IDENT = /^[a-z][a-z0-9_]*$/

/** Checks a view the way Feast's `apply` would: names, a positive TTL, windows and lags that exist. */
export function validateView(v: FeatureView, entities: readonly Entity[] = ENTITIES): void {
  const where = `feature view '${v.name}'`
  if (!IDENT.test(v.name)) throw new FeatureInputError(`${where}: the name must be snake_case`)
  if (!entities.some((e) => e.name === v.entity)) throw new FeatureInputError(`${where}: unknown entity '${v.entity}'`)
  if (!Number.isFinite(v.ttlMs) || v.ttlMs <= 0) throw new FeatureInputError(`${where}: the TTL must be positive, got ${v.ttlMs} ms`)
  if (!Number.isInteger(v.version) || v.version < 1) throw new FeatureInputError(`${where}: the version must be a positive integer`)
  if (v.owner === '') throw new FeatureInputError(`${where}: an owner is required`)
  for (const [w, ms] of Object.entries(v.windows)) {
    if (!/^[a-z0-9]+$/.test(w) || !(ms > 0)) throw new FeatureInputError(`${where}: bad window '${w}'`)
  }
  for (const l of v.lagged ?? []) {
    if (v.values[l.value] === undefined || v.windows[l.window] === undefined) throw new FeatureInputError(`${where}: bad lag ${l.value}@${l.window}`)
  }
  for (const feat of v.features) if (!IDENT.test(feat.name)) throw new FeatureInputError(`${where}: bad feature name '${feat.name}'`)
}

/** The definitions, checked once, with lookups by name. */
export class Registry {
  readonly entities: readonly Entity[]
  readonly views: readonly FeatureView[]
  readonly derived: readonly DerivedFeature[]
  private readonly byName = new Map<string, { feature: Feature; view?: FeatureView; derived?: DerivedFeature }>()

  constructor(opts: { entities?: readonly Entity[]; views?: readonly FeatureView[]; derived?: readonly DerivedFeature[] } = {}) {
    this.entities = opts.entities ?? ENTITIES
    this.views = opts.views ?? FEATURE_VIEWS
    this.derived = opts.derived ?? DERIVED_FEATURES
    for (const v of this.views) {
      validateView(v, this.entities)
      for (const feat of v.features) this.add(feat.name, { feature: feat, view: v })
    }
    for (const d of this.derived) {
      for (const i of d.inputs) {
        const input = this.byName.get(i)
        if (input?.view?.entity !== d.entity) throw new FeatureInputError(`derived feature '${d.name}': input '${i}' is not a ${d.entity} feature`)
      }
      this.add(d.name, { feature: d, derived: d })
    }
  }

  private add(name: string, entry: { feature: Feature; view?: FeatureView; derived?: DerivedFeature }): void {
    if (this.byName.has(name)) throw new FeatureInputError(`feature '${name}' is defined twice`)
    this.byName.set(name, entry)
  }

  entity(name: string): Entity {
    const e = this.entities.find((x) => x.name === name)
    if (e === undefined) throw new FeatureInputError(`unknown entity '${name}' (known: ${this.entities.map((x) => x.name).join(', ')})`)
    return e
  }

  view(name: string): FeatureView {
    const v = this.views.find((x) => x.name === name)
    if (v === undefined) throw new FeatureInputError(`unknown feature view '${name}'`)
    return v
  }

  /** All features, views first in definition order, then derived ones. */
  list(entity?: string): ResolvedFeature[] {
    if (entity !== undefined) this.entity(entity)
    return [...this.byName.keys()].map((n) => this.resolveOne(n)).filter((r) => entity === undefined || r.entity === entity)
  }

  /** `name` or Feast's `view:name`; every feature of one entity. */
  resolve(refs: readonly string[], entity: string): ResolvedFeature[] {
    this.entity(entity)
    if (refs.length === 0) throw new FeatureInputError('no features requested')
    return refs.map((ref) => {
      const r = this.resolveOne(ref)
      if (r.entity !== entity) throw new FeatureInputError(`feature '${r.name}' belongs to entity '${r.entity}', not '${entity}'`)
      return r
    })
  }

  private resolveOne(ref: string): ResolvedFeature {
    const [viewName, name] = ref.includes(':') ? ref.split(':', 2) as [string, string] : [undefined, ref]
    const e = this.byName.get(name)
    if (e === undefined || (viewName !== undefined && (e.view?.name ?? 'derived') !== viewName)) {
      throw new FeatureInputError(`unknown feature '${ref}' (see 'tapflow features ls')`)
    }
    if (e.view !== undefined) {
      const v = e.view
      return { name, type: e.feature.type, description: e.feature.description, entity: v.entity, owner: v.owner, version: v.version, ttlMs: v.ttlMs, view: v.name }
    }
    const d = e.derived as DerivedFeature
    const ttlMs = Math.min(...d.inputs.map((i) => this.resolveOne(i).ttlMs))
    return { name, type: d.type, description: d.description, entity: d.entity, owner: d.owner, version: d.version, ttlMs, view: 'derived' }
  }

  /** The views a set of features reads, with derived features' inputs. */
  viewsFor(features: readonly ResolvedFeature[]): FeatureView[] {
    const names = new Set<string>()
    for (const r of features) {
      if (r.view !== 'derived') names.add(r.view)
      else for (const i of this.derived.find((d) => d.name === r.name)?.inputs ?? []) names.add(this.resolveOne(i).view)
    }
    return this.views.filter((v) => names.has(v.name))
  }
}
