import { rosterDeviceId, rosterVenueId } from '../../../firmware-sim/index.js'
import type { DayContext } from './context.js'
import type { Account, Venue } from './world.js'

export const DEFAULT_FIRMWARE = '1.4.2'

/** A new venue id in the fleet's numbering (`ven-0001`); numbers are never reused. */
export function newVenueId(ctx: DayContext): string {
  return rosterVenueId(ctx.nextId('venue'))
}

/** Install `n` taps at a venue on `day`: new lines, fleet ids `tap-0001-01`. */
export function installTaps(ctx: DayContext, a: Account, v: Venue, n: number, day = ctx.day): void {
  for (let i = 0; i < n; i++) {
    const line = v.nextLine++
    const id = rosterDeviceId(v.id, line)
    v.devices.push(id)
    ctx.batch.insert('devices', [id, v.id, a.id, line, DEFAULT_FIRMWARE, day])
  }
  v.taps = v.devices.length
  v.dirty = true
}

/** Take the venue's newest `n` taps out of service today. */
export function removeTaps(ctx: DayContext, v: Venue, n: number): void {
  const gone = v.devices.splice(Math.max(0, v.devices.length - n), n)
  for (const id of gone) ctx.decommissioned.push(id)
  v.taps = v.devices.length
  v.dirty = true
}

/** An account that churned today takes its taps out of service; `taps` keeps the licensed count for history. */
export function decommissionAccount(ctx: DayContext, a: Account): void {
  for (const v of a.venues) {
    ctx.decommissioned.push(...v.devices)
    v.devices = []
    v.dirty = true
  }
}
