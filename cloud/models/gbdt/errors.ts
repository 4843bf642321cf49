import { TapflowError } from '../../../common/index.js'

/** Training data the trainer cannot use: mismatched sizes, labels outside {0, 1} for 'binary', no labelled rows. */
export class GbdtDataError extends TapflowError {
  constructor(message: string) {
    super(message, 'GBDT_DATA')
  }
}
