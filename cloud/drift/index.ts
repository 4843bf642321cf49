/** Drift monitoring (Evidently's role): the DataDriftPreset's tests and distances, the report. Imported through cloud/index.ts. */
export { ks2samp, kstwoSf, type KsResult } from './ks.js'
export { chi2Sf, chiSquare, chiSquareCounts, zTest, wasserstein1Sorted, normedWassersteinSorted, jensenShannon, jensenShannonCounts, type TestResult } from './stats.js'
export { detectDrift, DriftInputError, TEST_NAMES, type DetectDriftRequest, type DriftTable, type DriftColumnValues, type DriftOptions, type DriftResult, type ColumnDrift, type ColumnKind, type StatTest, type Distribution, type SampleSummary } from './detect.js'
export { writeDriftReport, renderDriftHtml, driftSummary, type DriftReport, type DriftReportMeta, type WriteDriftReportOptions } from './report.js'
export { readFeatureWindow, tableFromCsv, type FeatureWindowOptions } from './sources.js'
