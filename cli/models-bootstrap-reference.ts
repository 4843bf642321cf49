import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Dataset } from '../cloud/index.js'

/**
 * The drift reference of a registered model version: a sample of its training rows' features, kept beside its
 * artifacts as `drift-reference.json` (not one of its sha256-checked artifacts). Drift in `tapflow up` compares the
 * champion's reference with the live features; the training data itself may live in another ClickHouse
 * (`<data-dir>/training`), which one process cannot open beside its own (chDB allows one data dir per process).
 */
export interface DriftReference {
  featureNames: string[]
  /** Column-major: one array per feature, NaN as null (JSON). */
  columns: (number | null)[][]
  /** The training window the rows come from. */
  window: { from: number; to: number; source: string }
}

export const DRIFT_REFERENCE_FILE = 'drift-reference.json'
/** Rows kept: above 1,000 Evidently's rules use distances (normed Wasserstein), stable at a few thousand. */
const MAX_ROWS = 5_000

/** Writes a deterministic, evenly spaced sample of the dataset's train rows into the version's directory. */
export async function writeDriftReference(artifactDir: string, ds: Dataset): Promise<void> {
  const train: number[] = []
  ds.rows.forEach((r, i) => r.split === 'train' && train.push(i))
  const stride = Math.max(1, train.length / MAX_ROWS)
  const picked: number[] = []
  for (let k = 0; k < train.length && picked.length < MAX_ROWS; k += stride) picked.push(train[Math.floor(k)]!)
  const cols = ds.x.cols
  const columns = ds.featureNames.map((_, c) => picked.map((r) => {
    const v = ds.x.values[r * cols + c]!
    return Number.isNaN(v) ? null : v
  }))
  const ref: DriftReference = { featureNames: ds.featureNames, columns, window: ds.window }
  await writeFile(join(artifactDir, DRIFT_REFERENCE_FILE), JSON.stringify(ref))
}

/** The version's reference as a drift table, or undefined when it has none (a model trained elsewhere). */
export async function readDriftReference(artifactDir: string): Promise<{ table: Record<string, Float64Array>; ref: DriftReference } | undefined> {
  let text: string
  try {
    text = await readFile(join(artifactDir, DRIFT_REFERENCE_FILE), 'utf8')
  } catch {
    return undefined
  }
  const ref = JSON.parse(text) as DriftReference
  const table = Object.fromEntries(ref.featureNames.map((n, c) => [n, Float64Array.from(ref.columns[c] ?? [], (v) => v ?? Number.NaN)]))
  return { table, ref }
}
