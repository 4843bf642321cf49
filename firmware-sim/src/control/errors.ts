import { status } from '@grpc/grpc-js'
import { ConfigError, TapflowError } from '../../../common/index.js'

/** A FleetService failure with its gRPC status code. */
export class FleetError extends TapflowError {
  readonly grpcCode: status
  constructor(message: string, grpcCode: status, options?: { cause?: unknown }) {
    super(message, 'FLEET', options)
    this.grpcCode = grpcCode
  }
}

/** Status for an error thrown by FleetControl: bad input is INVALID_ARGUMENT, the rest INTERNAL. */
export function grpcStatusOf(err: unknown): status {
  if (err instanceof FleetError) return err.grpcCode
  if (err instanceof ConfigError) return status.INVALID_ARGUMENT
  return status.INTERNAL
}
