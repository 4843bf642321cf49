import type { GbdtJson, GbdtTreeJson } from '../models/index.js'

/** One feature's share of a score: its value and what it added to the log-odds. */
export interface Contribution {
  feature: string
  value: number
  contribution: number
}

/**
 * Path attribution over a GBDT (Saabas' method): walking a row down each tree, every split moves the expected output
 * from the node's to the taken child's, and that step is credited to the split's feature. A node's expected output is
 * the mean of its leaves (the JSON keeps no sample counts, so leaves weigh alike). Per tree the steps sum to the leaf
 * minus the tree's mean, so `bias + Σ contributions` is exactly the raw score (log-odds). Cheap: one path per tree.
 */
export class PathAttribution {
  private readonly means: Float64Array[]
  readonly bias: number

  constructor(private readonly model: GbdtJson, private readonly featureNames: readonly string[]) {
    this.means = model.trees.map(leafMeans)
    this.bias = model.baseScore + this.means.reduce((s, m) => s + (m[0] ?? 0), 0)
  }

  /** Contribution per feature index, and the raw score they add up to. */
  explain(row: ArrayLike<number>): { raw: number; contributions: Float64Array } {
    const out = new Float64Array(this.model.featureCount)
    let raw = this.model.baseScore
    this.model.trees.forEach((t, i) => {
      const means = this.means[i]!
      let n = 0
      for (let f = t.feature[n]!; f >= 0; f = t.feature[n]!) {
        const x = row[f]!
        const th = t.threshold[n]
        // The same comparison as GbdtModel: float32, null threshold = +Infinity, NaN by missingLeft.
        const goLeft = Number.isNaN(x) ? t.missingLeft[n] === 1 : th === null || th === undefined || Math.fround(x) <= th
        const next = goLeft ? t.left[n]! : t.right[n]!
        out[f] = out[f]! + means[next]! - means[n]!
        n = next
      }
      raw += t.value[n]!
    })
    return { raw, contributions: out }
  }

  /** The `k` features that pushed the score up most (positive contributions only), largest first. */
  top(row: ArrayLike<number>, k = 3): Contribution[] {
    const { contributions } = this.explain(row)
    return [...contributions.entries()]
      .filter(([, c]) => c > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([i, c]) => ({ feature: this.featureNames[i] ?? `f${i}`, value: row[i]!, contribution: c }))
  }
}

/** Mean leaf value under each node (children have higher indices than their parent in our trees, but do not rely on it). */
function leafMeans(t: GbdtTreeJson): Float64Array {
  const sum = new Float64Array(t.feature.length)
  const count = new Float64Array(t.feature.length)
  const visit = (n: number): void => {
    if (t.feature[n]! < 0) {
      sum[n] = t.value[n]!
      count[n] = 1
      return
    }
    const l = t.left[n]!
    const r = t.right[n]!
    visit(l)
    visit(r)
    sum[n] = sum[l]! + sum[r]!
    count[n] = count[l]! + count[r]!
  }
  if (t.feature.length > 0) visit(0)
  return sum.map((s, i) => s / Math.max(1, count[i]!))
}
