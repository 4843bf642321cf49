import { status } from '@grpc/grpc-js'
import { TapflowError } from '../../common/index.js'

/** An inference failure with the gRPC status the service answers it with. */
export class InferenceError extends TapflowError {
  readonly grpcCode: status
  constructor(message: string, grpcCode: status, code = 'INFERENCE', options?: { cause?: unknown }) {
    super(message, code, options)
    this.grpcCode = grpcCode
  }
}

/** No such model, or no champion for it: NOT_FOUND. */
export class UnknownModelError extends InferenceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, status.NOT_FOUND, 'UNKNOWN_MODEL', options)
  }
}

/** An entity id the online store has nothing for: NOT_FOUND. */
export class UnknownEntityError extends InferenceError {
  readonly ids: string[]
  constructor(ids: string[]) {
    const shown = ids.slice(0, 5).join(', ') + (ids.length > 5 ? ` and ${ids.length - 5} more` : '')
    super(`no online features for ${shown} (unknown device, or not materialized yet)`, status.NOT_FOUND, 'UNKNOWN_ENTITY')
    this.ids = ids
  }
}

/** Features the model cannot score: a missing or unknown name, a wrong count, a value not allowed. INVALID_ARGUMENT. */
export class BadFeaturesError extends InferenceError {
  constructor(message: string) {
    super(message, status.INVALID_ARGUMENT, 'BAD_FEATURES')
  }
}
