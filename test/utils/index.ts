/**
 * Set-up shared by test files: a temporary directory, chDB in one, waiting for a condition, free ports.
 * Each `use…` registers its own beforeAll/afterAll, so a file says what it needs in one line.
 */
export { useTempDir, type TempDir } from './temp-dir.js'
export { useChDB, type ChDB } from './chdb.js'
export { until } from './wait.js'
export { freePort, waitForPort } from '../peers/index.js'
