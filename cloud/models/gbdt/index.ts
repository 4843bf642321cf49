/** Histogram gradient-boosted trees: the trainer and the model it produces. */
export { trainGbdt } from './train.js'
export { GbdtModel, type GbdtJson, type GbdtTreeJson } from './model.js'
export { resolveGbdtOptions, type GbdtOptions, type GbdtObjective, type GbdtParams } from './options.js'
export { GbdtDataError } from './errors.js'
