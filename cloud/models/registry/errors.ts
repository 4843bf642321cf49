import { ConfigError, TapflowError } from '../../../common/index.js'

/** A registry failure that is not the caller's input: storage, a broken version directory. */
export class ModelRegistryError extends TapflowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'MODEL_REGISTRY', options)
  }
}

/**
 * No such model, version or alias. A ConfigError: it is what the user typed (`tapflow models show x@9`), so the CLI
 * prints one line and exits 2.
 */
export class ModelNotFoundError extends ConfigError {}

/** An artifact on disk no longer has the sha256 recorded when it was registered: it was changed or replaced. */
export class ArtifactIntegrityError extends TapflowError {
  readonly path: string
  readonly expected: string
  readonly actual: string
  constructor(path: string, expected: string, actual: string) {
    super(`artifact ${path} has sha256 ${actual}, but ${expected} was registered: it was modified after registration`, 'ARTIFACT_TAMPERED')
    this.path = path
    this.expected = expected
    this.actual = actual
  }
}
