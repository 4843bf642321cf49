import { TapflowError } from '../../common/index.js'

/** Why the capture endpoint turned a request away; the dead-letter `reason` is the code in lower case. */
export type CaptureCode = 'CAPTURE_MALFORMED' | 'CAPTURE_TOO_LARGE' | 'CAPTURE_UNAUTHORIZED' | 'CAPTURE_RATE_LIMITED' | 'CAPTURE_BUSY'

const STATUS: Readonly<Record<CaptureCode, number>> = {
  CAPTURE_MALFORMED: 400,
  CAPTURE_UNAUTHORIZED: 401,
  CAPTURE_TOO_LARGE: 413,
  CAPTURE_RATE_LIMITED: 429,
  CAPTURE_BUSY: 503,
}

/** A rejected capture request: `status` is the HTTP status it is answered with, `code` goes into the JSON error. */
export class CaptureError extends TapflowError {
  readonly status: number
  /** Seconds the client should wait (429, 503). */
  readonly retryAfterS: number | undefined
  constructor(code: CaptureCode, message: string, options?: { cause?: unknown; retryAfterS?: number }) {
    super(message, code, options)
    this.status = STATUS[code]
    this.retryAfterS = options?.retryAfterS
  }
}
