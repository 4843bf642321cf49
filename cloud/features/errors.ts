import { ConfigError } from '../../common/index.js'

/**
 * Bad input to the feature store (unknown feature or entity, a timestamp in the future, a bad definition):
 * exit 2 on the CLI, INVALID_ARGUMENT over gRPC.
 */
export class FeatureInputError extends ConfigError {
  readonly grpcStatus = 'INVALID_ARGUMENT'
  constructor(message: string) {
    super(message)
    this.name = 'FeatureInputError'
  }
}
