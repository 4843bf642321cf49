/** Drift monitoring (Evidently's role): the DataDriftPreset's tests and distances, the report. Imported through cloud/index.ts. */
export { ks2samp, kstwoSf, smirnov, type KsResult } from './ks.js'
export { chi2Sf, chiSquare, chiSquareCounts, zTest, wasserstein1, wasserstein1Sorted, normedWassersteinSorted, jensenShannon, jensenShannonCounts, std, normalSf, gammaQ, logGamma, type TestResult } from './stats.js'
