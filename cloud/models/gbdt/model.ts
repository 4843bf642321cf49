import { ConfigError } from '../../../common/index.js'
import type { Matrix, Predictor } from '../types.js'
import type { GbdtObjective, GbdtParams } from './options.js'

/** One tree in JSON: parallel arrays by node index, node 0 the root. A leaf has feature -1. */
export interface GbdtTreeJson {
  feature: number[]
  /** Float32 split values: go left when `x <= threshold`. `null` stands for +Infinity (left takes every non-NaN). */
  threshold: (number | null)[]
  /** 1 where NaN goes left, 0 where it goes right. */
  missingLeft: number[]
  left: number[]
  right: number[]
  /** Leaf values (learning rate applied), float32; 0 at split nodes. */
  value: number[]
}

export interface GbdtJson {
  format: 'tapflow-gbdt'
  version: 1
  objective: GbdtObjective
  featureCount: number
  /** Raw score before any tree: log-odds of the base rate (binary) or the mean (regression). */
  baseScore: number
  trees: GbdtTreeJson[]
  /** Total split gain per feature, unnormalised. */
  gain: number[]
  params: GbdtParams
}

/** A trained ensemble, stored as flat typed arrays over all trees. */
export class GbdtModel implements Predictor {
  readonly objective: GbdtObjective
  readonly featureCount: number
  readonly baseScore: number
  readonly params: GbdtParams
  private readonly roots: Int32Array
  private readonly feature: Int32Array
  private readonly threshold: Float32Array
  private readonly missingLeft: Uint8Array
  private readonly left: Int32Array
  private readonly right: Int32Array
  private readonly value: Float64Array
  private readonly gain: Float64Array
  private readonly json: GbdtJson

  constructor(json: GbdtJson) {
    if (json.format !== 'tapflow-gbdt' || json.version !== 1) throw new ConfigError(`not a tapflow-gbdt v1 model (format ${String(json.format)}, version ${String(json.version)})`)
    this.json = json
    this.objective = json.objective
    this.featureCount = json.featureCount
    this.baseScore = json.baseScore
    this.params = json.params
    this.gain = Float64Array.from(json.gain)
    const total = json.trees.reduce((s, t) => s + t.feature.length, 0)
    this.roots = new Int32Array(json.trees.length)
    this.feature = new Int32Array(total)
    this.threshold = new Float32Array(total)
    this.missingLeft = new Uint8Array(total)
    this.left = new Int32Array(total)
    this.right = new Int32Array(total)
    this.value = new Float64Array(total)
    let at = 0
    json.trees.forEach((t, i) => {
      this.roots[i] = at
      for (let n = 0; n < t.feature.length; n++) {
        const f = t.feature[n]!
        if (f >= json.featureCount) throw new ConfigError(`tree ${i} node ${n} splits on feature ${f} of ${json.featureCount}`)
        this.feature[at + n] = f
        this.threshold[at + n] = t.threshold[n] ?? Number.POSITIVE_INFINITY
        this.missingLeft[at + n] = t.missingLeft[n]!
        this.left[at + n] = at + t.left[n]!
        this.right[at + n] = at + t.right[n]!
        this.value[at + n] = t.value[n]!
      }
      at += t.feature.length
    })
  }

  static fromJSON(j: GbdtJson): GbdtModel {
    return new GbdtModel(j)
  }

  toJSON(): GbdtJson {
    return this.json
  }

  get treeCount(): number {
    return this.roots.length
  }

  /** Probability of class 1 (binary) or the predicted value (regression). NaN is a missing value. */
  predict(row: ArrayLike<number>): number {
    if (row.length !== this.featureCount) throw new RangeError(`row has ${row.length} features, the model ${this.featureCount}`)
    return this.link(this.rawAt(row, 0))
  }

  predictBatch(x: Matrix): Float32Array {
    if (x.cols !== this.featureCount) throw new RangeError(`matrix has ${x.cols} columns, the model ${this.featureCount}`)
    const out = new Float32Array(x.rows)
    for (let r = 0; r < x.rows; r++) out[r] = this.link(this.rawAt(x.values, r * x.cols))
    return out
  }

  /** Raw scores (log-odds for binary) before the link function. */
  rawBatch(x: Matrix): Float64Array {
    if (x.cols !== this.featureCount) throw new RangeError(`matrix has ${x.cols} columns, the model ${this.featureCount}`)
    const out = new Float64Array(x.rows)
    for (let r = 0; r < x.rows; r++) out[r] = this.rawAt(x.values, r * x.cols)
    return out
  }

  /** Share of the total split gain per feature (sums to 1; all zeros when no tree split). */
  featureImportance(): Float64Array {
    const total = this.gain.reduce((s, g) => s + g, 0)
    return this.gain.map((g) => (total > 0 ? g / total : 0))
  }

  private link(raw: number): number {
    return this.objective === 'binary' ? 1 / (1 + Math.exp(-raw)) : raw
  }

  private rawAt(v: ArrayLike<number>, offset: number): number {
    const { roots, feature, threshold, missingLeft, left, right, value } = this
    let raw = this.baseScore
    for (let t = 0; t < roots.length; t++) {
      let n = roots[t]!
      for (let f = feature[n]!; f >= 0; f = feature[n]!) {
        const x = v[offset + f]!
        // Compare in float32, as the training bins and onnxruntime do.
        const goLeft = x !== x ? missingLeft[n] === 1 : Math.fround(x) <= threshold[n]!
        n = goLeft ? left[n]! : right[n]!
      }
      raw += value[n]!
    }
    return raw
  }
}
