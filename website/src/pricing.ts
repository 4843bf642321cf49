import { TIER_PRICE_CENTS, tierFor } from '../../cloud/index.js'
import type { Pricing } from '../api.js'

/** Taps searched for each tier's threshold: far above the business's highest (enterprise at 20). */
const SEARCH_TAPS = 10_000

/**
 * The business's own price list: prices from TIER_PRICE_CENTS and each tier's threshold from tierFor (the rule that
 * puts accounts on tiers), so the site never keeps a copy of either.
 */
export function businessPricing(): Pricing {
  const minTaps = new Map<string, number>()
  for (let taps = 1; taps <= SEARCH_TAPS; taps++) {
    const tier = tierFor(taps)
    if (!minTaps.has(tier)) minTaps.set(tier, taps)
  }
  const tiers = Object.entries(TIER_PRICE_CENTS)
    .filter(([tier]) => minTaps.has(tier))
    .map(([tier, pricePerTapCents]) => ({ tier, pricePerTapCents, minTaps: minTaps.get(tier)! }))
    .sort((a, b) => a.minTaps - b.minTaps)
  return { currency: 'USD', tiers }
}
