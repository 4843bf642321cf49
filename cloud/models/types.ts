/**
 * Shapes shared by the models code: the trainer (gbdt/), the datasets (maintenance, churn, demand), evaluation,
 * the registry and the CLI. Kept in one file so each part can be written against the others.
 */

/** A dense row-major feature matrix: value of row r, column c at `values[r * cols + c]`. NaN means missing. */
export interface Matrix {
  rows: number
  cols: number
  values: Float32Array
}

/** Which slice of a time split a row belongs to. Train is earliest, then validation, then test. */
export type SplitName = 'train' | 'validation' | 'test'

/** One row's identity: the entity it describes, when, and the slice it is in. */
export interface DatasetRow {
  /** Device id (maintenance, demand) or account id (churn). */
  entity: string
  /** Simulated epoch ms of the prediction time; features are as of this instant, labels look forward from it. */
  ts: number
  split: SplitName
}

/** A labelled dataset, ready to train on and to export. */
export interface Dataset {
  /** 'maintenance', 'churn' or 'demand'. */
  name: string
  featureNames: string[]
  x: Matrix
  /**
   * One target column per predicted quantity, aligned with `rows`: per failure mode for maintenance (1/0, NaN where
   * the row is excluded for that mode), 'churn' (1/0), 'litres_24h' (a number).
   */
  targets: Record<string, Float32Array>
  rows: DatasetRow[]
  /** Feature views and their versions the columns come from (lineage for the registry). */
  featureViews: { name: string; version: number }[]
  /** The simulated time range the rows cover, and what it was read from (a ClickHouse range or a lake snapshot). */
  window: { from: number; to: number; source: string }
}

/** What every trained model can do, whatever trained it. */
export interface Predictor {
  readonly featureCount: number
  /** Probability of class 1 (classifiers) or the predicted value (regressors), one per row. */
  predictBatch(x: Matrix): Float32Array
}
