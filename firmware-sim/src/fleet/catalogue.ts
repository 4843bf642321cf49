/** Static reference data: where venues are, what they pour and in which glass and keg sizes. */

export interface Region {
  key: string
  /** [city, IANA time zone] */
  cities: readonly (readonly [string, string])[]
  country: string
  /** Serving sizes in ml, with weights. */
  servings: readonly (readonly [number, number])[]
  kegSizesMl: readonly number[]
}

export const REGIONS: readonly Region[] = [
  {
    key: 'us',
    cities: [
      ['New York', 'America/New_York'], ['Boston', 'America/New_York'], ['Chicago', 'America/Chicago'],
      ['Austin', 'America/Chicago'], ['Denver', 'America/Denver'], ['Portland', 'America/Los_Angeles'],
      ['San Diego', 'America/Los_Angeles'], ['Seattle', 'America/Los_Angeles'],
    ],
    country: 'US',
    servings: [[473, 0.6], [355, 0.25], [148, 0.15]],
    kegSizesMl: [58_674, 19_550],
  },
  {
    key: 'uk',
    cities: [
      ['London', 'Europe/London'], ['Manchester', 'Europe/London'], ['Bristol', 'Europe/London'],
      ['Leeds', 'Europe/London'], ['Edinburgh', 'Europe/London'], ['Dublin', 'Europe/Dublin'],
    ],
    country: 'GB',
    servings: [[568, 0.65], [284, 0.3], [142, 0.05]],
    kegSizesMl: [50_000, 30_000],
  },
  {
    key: 'eu',
    cities: [
      ['Berlin', 'Europe/Berlin'], ['Munich', 'Europe/Berlin'], ['Amsterdam', 'Europe/Amsterdam'],
      ['Madrid', 'Europe/Madrid'], ['Barcelona', 'Europe/Madrid'], ['Prague', 'Europe/Prague'],
    ],
    country: 'EU',
    servings: [[500, 0.5], [300, 0.3], [250, 0.1], [200, 0.1]],
    kegSizesMl: [50_000, 30_000, 20_000],
  },
  {
    key: 'au',
    cities: [['Sydney', 'Australia/Sydney'], ['Melbourne', 'Australia/Melbourne'], ['Brisbane', 'Australia/Brisbane']],
    country: 'AU',
    servings: [[425, 0.5], [570, 0.3], [285, 0.2]],
    kegSizesMl: [50_000],
  },
  {
    key: 'jp',
    cities: [['Tokyo', 'Asia/Tokyo'], ['Osaka', 'Asia/Tokyo'], ['Sapporo', 'Asia/Tokyo']],
    country: 'JP',
    servings: [[435, 0.5], [350, 0.3], [250, 0.2]],
    kegSizesMl: [19_000, 10_000],
  },
  {
    key: 'br',
    cities: [['São Paulo', 'America/Sao_Paulo'], ['Rio de Janeiro', 'America/Sao_Paulo'], ['Curitiba', 'America/Sao_Paulo']],
    country: 'BR',
    servings: [[300, 0.6], [500, 0.4]],
    kegSizesMl: [30_000, 50_000],
  },
]

/** Share of venues per region. */
export const REGION_WEIGHTS: readonly (readonly [string, number])[] = [
  ['us', 0.35], ['uk', 0.2], ['eu', 0.25], ['au', 0.08], ['jp', 0.06], ['br', 0.06],
]

export interface Beverage {
  beverageId: string
  name: string
  style: string
  abv: number
  /** List price per litre in USD, for revenue views. */
  pricePerLitre: number
}

export const BEVERAGES: readonly Beverage[] = [
  { beverageId: 'bev-house-lager', name: 'House Lager', style: 'lager', abv: 4.6, pricePerLitre: 11 },
  { beverageId: 'bev-pilsner', name: 'Bohemian Pilsner', style: 'pilsner', abv: 4.8, pricePerLitre: 12 },
  { beverageId: 'bev-helles', name: 'Munich Helles', style: 'lager', abv: 5.0, pricePerLitre: 12 },
  { beverageId: 'bev-hazy-ipa', name: 'Hazy IPA', style: 'ipa', abv: 6.5, pricePerLitre: 16 },
  { beverageId: 'bev-west-coast-ipa', name: 'West Coast IPA', style: 'ipa', abv: 6.8, pricePerLitre: 15 },
  { beverageId: 'bev-pale-ale', name: 'Pale Ale', style: 'pale-ale', abv: 5.2, pricePerLitre: 13 },
  { beverageId: 'bev-stout', name: 'Dry Stout', style: 'stout', abv: 4.2, pricePerLitre: 13 },
  { beverageId: 'bev-porter', name: 'Robust Porter', style: 'porter', abv: 5.6, pricePerLitre: 14 },
  { beverageId: 'bev-wheat', name: 'Hefeweizen', style: 'wheat', abv: 5.3, pricePerLitre: 13 },
  { beverageId: 'bev-sour', name: 'Raspberry Sour', style: 'sour', abv: 4.5, pricePerLitre: 17 },
  { beverageId: 'bev-amber', name: 'Amber Ale', style: 'amber', abv: 5.4, pricePerLitre: 13 },
  { beverageId: 'bev-bitter', name: 'Best Bitter', style: 'bitter', abv: 4.0, pricePerLitre: 12 },
  { beverageId: 'bev-cider', name: 'Dry Cider', style: 'cider', abv: 5.0, pricePerLitre: 13 },
  { beverageId: 'bev-kolsch', name: 'Kölsch', style: 'kolsch', abv: 4.8, pricePerLitre: 13 },
  { beverageId: 'bev-double-ipa', name: 'Double IPA', style: 'ipa', abv: 8.2, pricePerLitre: 19 },
  { beverageId: 'bev-nitro-coffee', name: 'Nitro Cold Brew', style: 'non-alcoholic', abv: 0, pricePerLitre: 14 },
]

/** Popular beverages first: line 1 of most bars pours the house lager. */
export const BEVERAGE_WEIGHTS: readonly number[] = [10, 6, 4, 7, 4, 5, 5, 2, 3, 2, 3, 2, 4, 2, 1, 1]
