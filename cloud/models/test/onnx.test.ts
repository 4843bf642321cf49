import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, describe, expect, it } from 'vitest'
import { Rng } from '../../../common/index.js'
import { requirePeers } from '../../../test/peers/index.js'
import { GbdtModel, trainGbdt, type GbdtJson } from '../gbdt/index.js'
import { gbdtToOnnx } from '../onnx.js'
import type { Matrix } from '../types.js'

// Debian's python3-onnx is the independent checker; under CI=true its absence fails the test instead of skipping.
const PYTHON = '/usr/bin/python3'
const hasOnnxChecker = spawnSync(PYTHON, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0

const dir = mkdtempSync(join(tmpdir(), 'tapflow-onnx-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** 10 % NaN in every feature, so the learned missing directions are exercised. */
function features(rows: number, cols: number, seed: number): Matrix {
  const rng = new Rng(seed)
  const values = new Float32Array(rows * cols)
  for (let i = 0; i < values.length; i++) values[i] = rng.chance(0.1) ? Number.NaN : rng.normal()
  return { rows, cols, values }
}

const at = (x: Matrix, r: number, c: number): number => x.values[r * x.cols + c]!
const train = features(4000, 6, 1)
const test = features(2000, 6, 2)
const rng = new Rng(3)
const yBinary = Float32Array.from({ length: train.rows }, (_, r) => {
  const signal = at(train, r, 0) > 0.2 !== at(train, r, 1) * at(train, r, 2) > 0.3 || Number.isNaN(at(train, r, 3))
  return rng.chance(signal ? 0.85 : 0.1) ? 1 : 0
})
const yRegression = Float32Array.from({ length: train.rows }, (_, r) => 3 * Math.sin(2 * (at(train, r, 0) || 0)) + (Number.isNaN(at(train, r, 1)) ? 2 : at(train, r, 1)) + 0.1 * rng.normal())

async function runOnnx(bytes: Uint8Array, x: Matrix): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(bytes)
  try {
    return (await session.run({ features: new ort.Tensor('float32', x.values, [x.rows, x.cols]) })) as Record<string, ort.Tensor>
  } finally {
    await session.release()
  }
}

async function expectClassifierParity(model: GbdtModel, x: Matrix): Promise<void> {
  const ours = model.predictBatch(x)
  const out = await runOnnx(gbdtToOnnx(model), x)
  expect(out.probabilities!.dims).toEqual([x.rows, 2])
  expect(out.label!.dims).toEqual([x.rows])
  const p = out.probabilities!.data as Float32Array
  const label = out.label!.data as BigInt64Array
  let worst = 0
  for (let r = 0; r < x.rows; r++) {
    worst = Math.max(worst, Math.abs(p[2 * r + 1]! - ours[r]!), Math.abs(p[2 * r]! - (1 - ours[r]!)))
    // Away from 0.5 (where float32 summation order could tip it), the label is the thresholded probability.
    if (Math.abs(ours[r]! - 0.5) > 1e-5) expect(label[r]).toBe(ours[r]! > 0.5 ? 1n : 0n)
  }
  expect(worst).toBeLessThanOrEqual(1e-5)
}

describe('gbdtToOnnx: onnxruntime-node agrees with the TypeScript model on every row', () => {
  it('classifier (TreeEnsembleClassifier, LOGISTIC, no ZipMap), NaN rows included', async () => {
    const m = trainGbdt(train, yBinary, { objective: 'binary', iterations: 40, seed: 1 })
    await expectClassifierParity(m, test)
    await expectClassifierParity(m, train)
  })

  it('classifier with every leaf weight positive, and with a positive-class weight', async () => {
    // ORT once treated all-positive binary weights as probabilities; this model has only positive leaves.
    // Its second tree splits missing from non-missing values (threshold +Infinity, null in JSON).
    const params = trainGbdt(train, yBinary, { objective: 'binary', iterations: 1 }).params
    const json: GbdtJson = {
      format: 'tapflow-gbdt', version: 1, objective: 'binary', featureCount: 6, baseScore: -1, gain: [1, 0, 0, 0, 0, 0], params,
      trees: [
        { feature: [0, -1, -1], threshold: [0.25, null, null], missingLeft: [1, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, 0.125, 0.5] },
        { feature: [3, -1, -1], threshold: [null, null, null], missingLeft: [0, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, 0.25, 1.5] },
      ],
    }
    await expectClassifierParity(GbdtModel.fromJSON(json), test)
    await expectClassifierParity(trainGbdt(train, yBinary, { objective: 'binary', iterations: 20, positiveWeight: 5, subsample: 0.8 }), test)
  })

  it('regressor (TreeEnsembleRegressor, output variable [N, 1])', async () => {
    const m = trainGbdt(train, yRegression, { objective: 'regression', iterations: 60 })
    const ours = m.predictBatch(test)
    const out = await runOnnx(gbdtToOnnx(m), test)
    expect(out.variable!.dims).toEqual([test.rows, 1])
    const v = out.variable!.data as Float32Array
    let worst = 0
    for (let r = 0; r < test.rows; r++) worst = Math.max(worst, Math.abs(v[r]! - ours[r]!))
    expect(worst).toBeLessThanOrEqual(1e-5)
  })

  it('rejects feature names of the wrong length', () => {
    const m = trainGbdt(train, yBinary, { objective: 'binary', iterations: 2 })
    expect(() => gbdtToOnnx(m, { featureNames: ['a'] })).toThrow(RangeError)
  })
})

describe.skipIf(!hasOnnxChecker && !requirePeers)('gbdtToOnnx: the onnx package’s own checker (python3-onnx) accepts the files', () => {
  it('passes onnx.checker.check_model(full_check=True) for a classifier and a regressor', () => {
    const files = [
      gbdtToOnnx(trainGbdt(train, yBinary, { objective: 'binary', iterations: 10 }), { featureNames: ['a', 'b', 'c', 'd', 'e', 'f'], name: 'maintenance_pump' }),
      gbdtToOnnx(trainGbdt(train, yRegression, { objective: 'regression', iterations: 10 })),
    ].map((bytes, i) => {
      const p = join(dir, `model-${i}.onnx`)
      writeFileSync(p, bytes)
      return p
    })
    const script = [
      'import sys, onnx',
      'for p in sys.argv[1:]:',
      '    m = onnx.load(p)',
      '    onnx.checker.check_model(m, full_check=True)',
      '    print(m.graph.node[0].op_type, [o.name for o in m.graph.output], {e.key: e.value for e in m.metadata_props})',
    ].join('\n')
    const r = spawnSync(PYTHON, ['-c', script, ...files], { encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toContain("TreeEnsembleClassifier ['label', 'probabilities']")
    expect(lines[0]).toContain(`'feature_names': '["a","b","c","d","e","f"]'`)
    expect(lines[1]).toContain("TreeEnsembleRegressor ['variable']")
  })
})
