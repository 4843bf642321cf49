import onnxProto from 'onnx-proto'
import type { GbdtJson, GbdtModel } from './gbdt/index.js'

const { onnx } = onnxProto
const Attr = onnx.AttributeProto.AttributeType

export interface OnnxExportOptions {
  /** Column names, stored in the model's metadata (`feature_names`, JSON). Default: none. */
  featureNames?: string[]
  /** Graph name. Default 'tapflow_gbdt'. */
  name?: string
}

/** ONNX IR version and opsets this exporter writes: what Debian's onnx 1.12 checks and onnxruntime 1.30 runs. */
const IR_VERSION = 8
const OPSET = 15
const ML_OPSET = 3

/**
 * The model as an `ai.onnx.ml` tree ensemble. Input 'features' float [N, F]. Binary: TreeEnsembleClassifier with
 * outputs 'label' int64 [N] and 'probabilities' float [N, 2] (no ZipMap), LOGISTIC over the summed leaf values
 * plus the base score. Regression: TreeEnsembleRegressor with output 'variable' float [N, 1].
 * Splits are BRANCH_LEQ on float32 thresholds (go left, the true branch, when x <= threshold), exactly the
 * trainer's rule; the learned NaN direction is `nodes_missing_value_tracks_true`.
 */
export function gbdtToOnnx(model: GbdtModel, opts: OnnxExportOptions = {}): Uint8Array {
  const j = model.toJSON()
  if (opts.featureNames !== undefined && opts.featureNames.length !== j.featureCount) {
    throw new RangeError(`${opts.featureNames.length} feature names for ${j.featureCount} features`)
  }
  const { nodes, leaves, weights } = flatten(j)
  const binary = j.objective === 'binary'
  const attrs = [
    ints('nodes_treeids', nodes.tree),
    ints('nodes_nodeids', nodes.id),
    ints('nodes_featureids', nodes.feature),
    strings('nodes_modes', nodes.mode),
    floats('nodes_values', nodes.value),
    ints('nodes_truenodeids', nodes.trueId),
    ints('nodes_falsenodeids', nodes.falseId),
    ints('nodes_missing_value_tracks_true', nodes.missingTrue),
    // One weight per leaf, all for one class/target: ORT's binary case then reports [1 - p, p].
    ints(binary ? 'class_treeids' : 'target_treeids', leaves.tree),
    ints(binary ? 'class_nodeids' : 'target_nodeids', leaves.id),
    ints(binary ? 'class_ids' : 'target_ids', leaves.tree.map(() => 0)),
    floats(binary ? 'class_weights' : 'target_weights', weights),
    floats('base_values', [j.baseScore]),
    ...(binary ? [ints('classlabels_int64s', [0, 1]), string('post_transform', 'LOGISTIC')] : [int('n_targets', 1), string('post_transform', 'NONE'), string('aggregate_function', 'SUM')]),
  ]
  const node = onnx.NodeProto.create({
    name: binary ? 'classifier' : 'regressor',
    opType: binary ? 'TreeEnsembleClassifier' : 'TreeEnsembleRegressor',
    domain: 'ai.onnx.ml',
    input: ['features'],
    output: binary ? ['label', 'probabilities'] : ['variable'],
    attribute: attrs,
  })
  const n = { dimParam: 'N' }
  const graph = onnx.GraphProto.create({
    name: opts.name ?? 'tapflow_gbdt',
    node: [node],
    input: [valueInfo('features', onnx.TensorProto.DataType.FLOAT, [n, { dimValue: j.featureCount }])],
    output: binary
      ? [valueInfo('label', onnx.TensorProto.DataType.INT64, [n]), valueInfo('probabilities', onnx.TensorProto.DataType.FLOAT, [n, { dimValue: 2 }])]
      : [valueInfo('variable', onnx.TensorProto.DataType.FLOAT, [n, { dimValue: 1 }])],
  })
  const model_ = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'tapflow',
    producerVersion: '1',
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: OPSET }), onnx.OperatorSetIdProto.create({ domain: 'ai.onnx.ml', version: ML_OPSET })],
    graph,
    metadataProps: [
      onnx.StringStringEntryProto.create({ key: 'objective', value: j.objective }),
      ...(opts.featureNames === undefined ? [] : [onnx.StringStringEntryProto.create({ key: 'feature_names', value: JSON.stringify(opts.featureNames) })]),
    ],
  })
  return onnx.ModelProto.encode(model_).finish()
}

interface Flat {
  nodes: { tree: number[]; id: number[]; feature: number[]; mode: string[]; value: number[]; trueId: number[]; falseId: number[]; missingTrue: number[] }
  leaves: { tree: number[]; id: number[] }
  weights: number[]
}

function flatten(j: GbdtJson): Flat {
  const f: Flat = { nodes: { tree: [], id: [], feature: [], mode: [], value: [], trueId: [], falseId: [], missingTrue: [] }, leaves: { tree: [], id: [] }, weights: [] }
  j.trees.forEach((t, ti) => {
    for (let n = 0; n < t.feature.length; n++) {
      const leaf = t.feature[n]! < 0
      f.nodes.tree.push(ti)
      f.nodes.id.push(n)
      f.nodes.feature.push(leaf ? 0 : t.feature[n]!)
      f.nodes.mode.push(leaf ? 'LEAF' : 'BRANCH_LEQ')
      f.nodes.value.push(leaf ? 0 : (t.threshold[n] ?? Number.POSITIVE_INFINITY))
      f.nodes.trueId.push(leaf ? 0 : t.left[n]!)
      f.nodes.falseId.push(leaf ? 0 : t.right[n]!)
      f.nodes.missingTrue.push(leaf ? 0 : t.missingLeft[n]!)
      if (leaf) {
        f.leaves.tree.push(ti)
        f.leaves.id.push(n)
        f.weights.push(t.value[n]!)
      }
    }
  })
  return f
}

function valueInfo(name: string, elemType: number, dims: { dimParam?: string; dimValue?: number }[]): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims } } } }
}

const ints = (name: string, v: number[]): onnxProto.onnx.IAttributeProto => ({ name, type: Attr.INTS, ints: v })
const int = (name: string, v: number): onnxProto.onnx.IAttributeProto => ({ name, type: Attr.INT, i: v })
const floats = (name: string, v: number[]): onnxProto.onnx.IAttributeProto => ({ name, type: Attr.FLOATS, floats: v })
const strings = (name: string, v: string[]): onnxProto.onnx.IAttributeProto => ({ name, type: Attr.STRINGS, strings: v.map((s) => new TextEncoder().encode(s)) })
const string = (name: string, v: string): onnxProto.onnx.IAttributeProto => ({ name, type: Attr.STRING, s: new TextEncoder().encode(v) })
