import { TapflowError } from '../../common/index.js'

/** A PostgreSQL failure, carrying the server's SQLSTATE code when it sent one (e.g. `3D000`, `28P01`). */
export class PostgresError extends TapflowError {
  readonly sqlState: string | undefined
  constructor(message: string, sqlState?: string, options?: { cause?: unknown }) {
    super(message, 'POSTGRES', options)
    this.sqlState = sqlState
  }
}

/** A scheduled step failed after all its retries. */
export class PipelineError extends TapflowError {
  readonly task: string
  readonly day: string
  constructor(task: string, day: string, message: string, options?: { cause?: unknown }) {
    super(`${task} failed for ${day}: ${message}`, 'PIPELINE', options)
    this.task = task
    this.day = day
  }
}
