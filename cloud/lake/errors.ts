import { TapflowError } from '../../common/index.js'

/** A lake operation failed (Iceberg commit, CDC, model build). `code` is 'LAKE'. */
export class LakeError extends TapflowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'LAKE', options)
  }
}

/**
 * One or more model tests failed; `failures` names each test and a sample of the rows that broke it, `tests` has every
 * test that ran with its failing-row count (for reports that also list what passed).
 */
export class ModelTestError extends TapflowError {
  readonly failures: readonly { test: string; rows: readonly Record<string, unknown>[] }[]
  readonly tests: readonly { test: string; failing: number }[]
  constructor(failures: readonly { test: string; rows: readonly Record<string, unknown>[] }[], tests: readonly { test: string; failing: number }[] = []) {
    const lines = failures.map((f) => `  ✗ ${f.test}: ${f.rows.length} failing row(s), e.g. ${JSON.stringify(f.rows.slice(0, 3))}`)
    super(`${failures.length} model test(s) failed:\n${lines.join('\n')}`, 'LAKE_TEST')
    this.failures = failures
    this.tests = tests
  }
}
