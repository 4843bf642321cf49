import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { Rng } from '../../../common/index.js'
import { requirePeers } from '../../../test/peers/index.js'
import { mae, mape, prAuc, precisionRecallCurve, rmse, rocAuc, scoresAt } from '../metrics.js'

// Debian's python3-sklearn is the oracle; under CI=true its absence fails the test instead of skipping.
const PYTHON = '/usr/bin/python3'
const hasSklearn = spawnSync(PYTHON, ['-c', 'import sklearn'], { stdio: 'ignore' }).status === 0

interface Sample {
  y: number[]
  s: number[]
}

/** Fixed samples: random scores, heavy ties (rounded scores), rare positives, a perfect and an inverted ranking. */
function samples(): Sample[] {
  const rng = new Rng(42)
  const out: Sample[] = []
  const random = (n: number, rate: number, round: number | undefined): Sample => {
    const y: number[] = []
    const s: number[] = []
    for (let i = 0; i < n; i++) {
      const pos = rng.chance(rate)
      const v = Math.min(1, Math.max(0, rng.normal(pos ? 0.6 : 0.4, 0.2)))
      y.push(pos ? 1 : 0)
      s.push(round === undefined ? v : Math.round(v * round) / round)
    }
    return { y, s }
  }
  out.push(random(500, 0.3, undefined), random(2000, 0.05, 20), random(300, 0.5, 4), random(1000, 0.01, undefined))
  out.push({ y: [0, 0, 1, 1], s: [0.1, 0.4, 0.35, 0.8] }, { y: [1, 1, 0, 0, 0], s: [0.9, 0.8, 0.3, 0.2, 0.1] }, { y: [1, 0, 1, 0], s: [0.1, 0.9, 0.2, 0.8] })
  out.push({ y: [0, 1, 0, 1, 1, 0], s: [0.5, 0.5, 0.5, 0.5, 0.5, 0.5] })
  return out
}

function sklearn(data: Sample[]): { ap: number; auc: number; p: number[]; r: number[]; t: number[]; f1: number; pr: number; rc: number }[] {
  const script = [
    'import sys, json',
    'from sklearn.metrics import average_precision_score, roc_auc_score, precision_recall_curve, f1_score, precision_score, recall_score',
    'out = []',
    'for d in json.load(sys.stdin):',
    '    p, r, t = precision_recall_curve(d["y"], d["s"])',
    '    pred = [1 if v >= 0.5 else 0 for v in d["s"]]',
    '    out.append(dict(ap=average_precision_score(d["y"], d["s"]), auc=roc_auc_score(d["y"], d["s"]), p=p.tolist(), r=r.tolist(), t=t.tolist(),',
    '                    f1=f1_score(d["y"], pred, zero_division=0), pr=precision_score(d["y"], pred, zero_division=0), rc=recall_score(d["y"], pred)))',
    'print(json.dumps(out))',
  ].join('\n')
  const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(data), encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as ReturnType<typeof sklearn>
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>): void => {
  expect(a.length).toBe(b.length)
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(1e-9)
}

describe.skipIf(!hasSklearn && !requirePeers)('metrics agree with scikit-learn (python3-sklearn) to 1e-9', () => {
  it('average precision, ROC AUC, the PR curve and precision/recall/F1 at 0.5, on fixed samples with ties', () => {
    const data = samples()
    const ref = sklearn(data)
    data.forEach((d, i) => {
      const r = ref[i]!
      expect(Math.abs(prAuc(d.y, d.s) - r.ap)).toBeLessThanOrEqual(1e-9)
      expect(Math.abs(rocAuc(d.y, d.s) - r.auc)).toBeLessThanOrEqual(1e-9)
      const c = precisionRecallCurve(d.y, d.s)
      close(c.precision, r.p)
      close(c.recall, r.r)
      close(c.thresholds, r.t)
      const at = scoresAt(d.y, d.s, 0.5)
      close([at.precision, at.recall, at.f1], [r.pr, r.rc, r.f1])
    })
  })

  it('MAE, MAPE and RMSE', () => {
    const a = [3, -0.5, 2, 7, 0, 1e-3]
    const p = [2.5, 0.0, 2, 8, 0.1, 2e-3]
    const script = 'import sys, json\nfrom sklearn.metrics import mean_absolute_error as mae, mean_absolute_percentage_error as mape, mean_squared_error as mse\nd = json.load(sys.stdin)\nprint(json.dumps([mae(d[0], d[1]), mape(d[0], d[1]), mse(d[0], d[1]) ** 0.5]))'
    const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify([a, p]), encoding: 'utf8' })
    expect(r.status).toBe(0)
    const [refMae, refMape, refRmse] = JSON.parse(r.stdout) as number[]
    // MAPE's zero actual divides by machine epsilon: a huge number, so compare relatively.
    expect(Math.abs(mae(a, p) - refMae!)).toBeLessThanOrEqual(1e-9)
    expect(Math.abs(mape(a, p) / refMape! - 1)).toBeLessThanOrEqual(1e-12)
    expect(Math.abs(rmse(a, p) - refRmse!)).toBeLessThanOrEqual(1e-9)
  })
})
