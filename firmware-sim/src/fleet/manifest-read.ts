import { ConfigError, DURATION_EXAMPLES, errorMessage, parseDuration } from '../../../common/index.js'
import { isNode, type Document, type LineCounter } from 'yaml'

/** Throws a ConfigError naming the path (and line), e.g. `:14: venues[3].taps: expected an integer 1..99, got 120`. */
export function fail(path: string, message: string, line?: number): never {
  const where = path === '' ? '' : `${path}: `
  throw new ConfigError(line === undefined ? `${where}${message}` : `:${line}: ${where}${message}`)
}

/**
 * The document as plain data. YAML's own guards (an alias bomb trips `maxAliasCount`) throw plain errors;
 * they become ConfigErrors here, so every bad manifest is bad input (exit 2), never an internal error.
 */
export function documentValue(doc: Document): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 })
  } catch (err) {
    fail('', `YAML: ${errorMessage(err)}`)
  }
}

/** A value for an error line: strings cut to 60 characters and control bytes escaped, so one line stays one line. */
const show = (v: unknown): string => (typeof v === 'string' ? `'${clip(v)}'` : v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : String(v))

function clip(s: string): string {
  const cut = s.length > 60 ? `${s.slice(0, 60)}…` : s
  // eslint-disable-next-line no-control-regex -- matching control bytes is the point: they must not reach the terminal
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\ufffd]/g, (c) => (c === '\ufffd' ? '?' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`))
}

/** A mapping in the manifest, read field by field with precise errors. `def` undefined = required, null = optional. */
export class Obj {
  private readonly v: Record<string, unknown>

  constructor(value: unknown, private readonly at: string, private readonly doc: Document, private readonly lines: LineCounter, private readonly segs: (string | number)[] = []) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(at, `expected a mapping, got ${show(value)}`, this.line())
    this.v = value as Record<string, unknown>
  }

  path(key: string): string {
    if (key === '') return this.at
    return this.at === '' ? key : `${this.at}.${key}`
  }

  line(key?: string): number | undefined {
    const node = this.doc.getIn(key === undefined ? this.segs : [...this.segs, key], true)
    if (!isNode(node) || node.range == null) return undefined
    return this.lines.linePos(node.range[0]).line
  }

  lineOf(key: string): number | undefined {
    return this.line(key) ?? this.line()
  }

  keys(): string[] {
    return Object.keys(this.v)
  }

  has(key: string): boolean {
    return this.v[key] !== undefined && this.v[key] !== null
  }

  only(allowed: readonly string[]): void {
    for (const k of this.keys()) {
      if (!allowed.includes(k)) fail(this.path(k), `unknown key (expected one of ${allowed.join(', ')})`, this.lineOf(k))
    }
  }

  private get(key: string, required: boolean): unknown {
    const x = this.v[key]
    if ((x === undefined || x === null) && required) fail(this.path(key), 'required', this.line())
    return x ?? undefined
  }

  str(key: string, re?: RegExp, def?: string | null): string | undefined {
    const x = this.get(key, def === undefined)
    if (x === undefined) return def ?? undefined
    const s = typeof x === 'number' ? String(x) : x
    if (typeof s !== 'string' || s.trim() === '') fail(this.path(key), `expected a string, got ${show(x)}`, this.lineOf(key))
    if (re !== undefined && !re.test(s)) fail(this.path(key), `'${s}' does not match ${re.source}`, this.lineOf(key))
    return s
  }

  num(key: string, min: number, max: number, def?: number | null): number | undefined {
    const x = this.get(key, def === undefined)
    if (x === undefined) return def ?? undefined
    if (typeof x !== 'number' || !Number.isFinite(x) || x < min || x > max) fail(this.path(key), `expected ${min}..${max}, got ${show(x)}`, this.lineOf(key))
    return x
  }

  int(key: string, min: number, max: number, def?: number | null): number | undefined {
    const x = this.get(key, def === undefined)
    if (x === undefined) return def ?? undefined
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) fail(this.path(key), `expected an integer ${min}..${max}, got ${show(x)}`, this.lineOf(key))
    return x
  }

  duration(key: string, def: number): number {
    const x = this.get(key, false)
    if (x === undefined) return def
    const ms = typeof x === 'number' ? x : typeof x === 'string' ? parseDuration(x) : undefined
    if (ms === undefined || ms < 0) fail(this.path(key), `expected ${DURATION_EXAMPLES}, got ${show(x)}`, this.lineOf(key))
    return ms
  }

  pair(key: string, min: number, max: number, def: [number, number]): [number, number] {
    const x = this.get(key, false)
    if (x === undefined) return def
    const ok = Array.isArray(x) && x.length === 2 && x.every((n) => Number.isInteger(n) && n >= min && n <= max) && x[0] <= x[1]
    if (!ok) fail(this.path(key), `expected [min, max] with ${min} <= min <= max <= ${max}, got ${JSON.stringify(x)}`, this.lineOf(key))
    return [x[0] as number, x[1] as number]
  }

  /** Opening hours 'HH:00-HH:00' (local, whole hours; the close may pass midnight). */
  hours(key: string): [number, number] {
    const x = this.str(key)!
    const m = /^(\d{1,2})(?::00)?-(\d{1,2})(?::00)?$/.exec(x.trim())
    const open = Number(m?.[1])
    const close = Number(m?.[2]) % 24
    if (!m || open > 23 || Number(m[2]) > 24 || open === close) fail(this.path(key), `expected opening hours like '11:00-23:00' (local, whole hours), got '${x}'`, this.lineOf(key))
    return [open, close]
  }

  strings(key: string): string[] {
    const x = this.get(key, true)
    if (!Array.isArray(x) || x.length === 0 || !x.every((s) => typeof s === 'string')) fail(this.path(key), `expected a list of strings, got ${show(x)}`, this.lineOf(key))
    return x as string[]
  }

  obj(key: string, optional = false): Obj | undefined {
    const x = this.get(key, !optional)
    return x === undefined ? undefined : new Obj(x, this.path(key), this.doc, this.lines, [...this.segs, key])
  }

  list(key: string, optional = false): Obj[] {
    const x = this.get(key, !optional)
    if (x === undefined) return []
    if (!Array.isArray(x)) fail(this.path(key), `expected a list, got ${show(x)}`, this.lineOf(key))
    return x.map((item, i) => new Obj(item, `${this.path(key)}[${i}]`, this.doc, this.lines, [...this.segs, key, i]))
  }

  /** Profile parameters: a mapping of numbers or strings (durations). */
  params(key: string): Record<string, number | string> {
    const x = this.get(key, false)
    if (x === undefined) return {}
    if (typeof x !== 'object' || Array.isArray(x)) fail(this.path(key), `expected a mapping of parameters, got ${show(x)}`, this.lineOf(key))
    const out: Record<string, number | string> = {}
    for (const [k, val] of Object.entries(x as Record<string, unknown>)) {
      if (typeof val !== 'number' && typeof val !== 'string') fail(`${this.path(key)}.${k}`, `expected a number or a duration, got ${show(val)}`, this.lineOf(key))
      out[k] = val
    }
    return out
  }
}
