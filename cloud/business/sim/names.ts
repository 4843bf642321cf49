import type { Rng } from './prng.js'

const ADJ = ['Rusty', 'Golden', 'Copper', 'Crooked', 'Red', 'Black', 'Silver', 'Old', 'Jolly', 'Hoppy', 'Foggy', 'Salty', 'Brass', 'Velvet', 'Lucky', 'Blue']
const NOUN = ['Anchor', 'Lion', 'Fox', 'Barrel', 'Tap', 'Stag', 'Crown', 'Harbor', 'Owl', 'Kettle', 'Hound', 'Lantern', 'Mill', 'Oak', 'Swan', 'Bell']
const KIND = ['Tap House', 'Pub', 'Brewhouse', 'Tavern', 'Bar & Grill', 'Social Club', 'Beer Hall', 'Kitchen', 'Inn', 'Taproom']
export const CITIES = ['Austin', 'Denver', 'Portland', 'Chicago', 'Seattle', 'Boston', 'Brooklyn', 'San Diego', 'Nashville', 'Atlanta', 'Dublin', 'London', 'Berlin', 'Toronto']
export const SEGMENTS = ['bar', 'bar', 'restaurant', 'brewpub', 'hotel', 'chain'] as const
export const SALES_REPS = ['John Smith', 'Maria Garcia', 'Wei Chen', 'Aisha Khan', 'Tom Becker', 'Lena Novak']
const ROLES = ['owner', 'manager', 'bar_manager', 'bartender', 'finance'] as const

export function companyName(rng: Rng): string {
  return `The ${rng.pick(ADJ)} ${rng.pick(NOUN)} ${rng.pick(KIND)}`
}

export function venueName(rng: Rng, company: string, i: number): string {
  return i === 0 ? company : `${company} – ${rng.pick(CITIES)} ${i + 1}`
}

export function role(i: number, rng: Rng): string {
  return i === 0 ? 'owner' : rng.pick(ROLES)
}

/** Taps per bar: mostly 4–16, a long tail of big venues. */
export function tapCount(rng: Rng): number {
  const base = Math.round(Math.exp(rng.normal(2.2, 0.55)))
  return Math.min(60, Math.max(2, base))
}
