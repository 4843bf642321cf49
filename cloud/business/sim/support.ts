import type { DayContext } from './context.js'
import type { DeviceFailure, DeviceFailureSource, VenueTaps } from './failures.js'
import type { OpenTicket } from './world.js'

/** Device failures (from the injected source) open tickets; open tickets get solved at their own pace. */
export async function runSupport(ctx: DayContext, source: DeviceFailureSource): Promise<DeviceFailure[]> {
  const rng = ctx.rng('support')
  const solved: unknown[][] = []
  const openOn = new Set<string>()
  const stillOpen: OpenTicket[] = []
  for (const t of ctx.world.tickets) {
    const p = Math.max(0.03, (0.35 / t.difficulty) * (t.priority === 'high' ? 1.3 : 1))
    if (!rng.chance(p)) {
      if (t.deviceId !== null) openOn.add(t.deviceId)
      stillOpen.push(t)
      continue
    }
    solved.push([t.id, 'solved', ctx.day])
    // It was open for part of the day: that day's failure of the tap is this case, not a new reactive one.
    if (t.deviceId !== null) openOn.add(t.deviceId)
    const a = ctx.world.byId.get(t.accountId)
    if (a) a.openTickets = Math.max(0, a.openTickets - 1)
  }
  ctx.batch.update('support_tickets', ['ticket_id', 'text'], [['status', 'text'], ['resolved_day', 'date']], solved)
  // From here on the list is the day's end state, which the next day starts from (tickets opened below join it).
  ctx.world.tickets = stillOpen

  const failures = await source.failuresOn(ctx.day, liveVenues(ctx))
  const measured = ctx.daySource === 'measured'
  for (const f of failures) {
    const a = ctx.world.byId.get(f.accountId)
    if (!a) continue
    ctx.batch.insert('device_failures', [ctx.nextId('failure'), f.venueId, f.accountId, f.deviceId, ctx.day, f.kind, f.source, f.evidence ?? null])
    a.failuresToday++
    // One open ticket per device: a fault that lasts several days is one case.
    if (openOn.has(f.deviceId)) continue
    // In the daily model some failures are fixed on site without a ticket; a fault the fleet reported always gets one.
    if (!measured && !rng.chance(0.85)) continue
    openOn.add(f.deviceId)
    const priority = f.kind === 'offline' || f.kind === 'cooling-failure' ? 'high' : 'normal'
    openTicket(ctx, a.id, f.venueId, f.deviceId, 'device_failure', priority, f.kind, f.source)
  }
  for (const a of ctx.world.accounts) {
    if (a.status === 'churned') continue
    if (rng.chance(0.002 * a.users.length)) openTicket(ctx, a.id, null, null, 'how_to', 'low', null, null)
    a.failureScore = 0.95 * a.failureScore + a.failuresToday
  }
  return failures
}

/** Live accounts' venues with their live taps, in id order. */
export function liveVenues(ctx: DayContext): VenueTaps[] {
  const venues: VenueTaps[] = []
  for (const a of ctx.world.accounts) {
    if (a.status === 'churned') continue
    for (const v of a.venues) venues.push({ venueId: v.id, accountId: a.id, taps: v.devices.length, failureRate: v.failureRate, deviceIds: v.devices })
  }
  return venues
}

function openTicket(ctx: DayContext, accountId: string, venueId: string | null, deviceId: string | null, category: string, priority: string,
  faultKind: string | null, source: string | null): void {
  const rng = ctx.rng('tickets')
  const difficulty = Math.exp(rng.normal(0, 0.6))
  const id = ctx.id('ticket', 'TCK_', 7)
  ctx.batch.insert('support_tickets', [id, accountId, venueId, deviceId, category, priority, 'open', ctx.day, difficulty, faultKind, source])
  ctx.world.tickets.push({ id, accountId, deviceId, openedDay: ctx.day, priority, difficulty })
  const a = ctx.world.byId.get(accountId)
  if (a) {
    a.openTickets++
    if (a.oldestOpenTicket === null) a.oldestOpenTicket = ctx.day
  }
}
