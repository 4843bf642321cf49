import { Rng as SeededRng } from '../../../common/index.js'

/** The shared seeded PRNG, keyed by (seed, day, stream, …) so each stream of the business simulation is independent. */
export class Rng extends SeededRng {
  constructor(seed: number, ...keys: Array<string | number>) {
    super(`${seed}|${keys.join('|')}`)
  }
}
