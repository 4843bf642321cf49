import type { Logger } from '../common/index.js'
import { ChillerBridge, type Gateway } from '../edge-gateway/index.js'
import { ChillerServer, type Simulator } from '../firmware-sim/index.js'

/** How long `after` may hold the chillers back. */
const AFTER_WAIT_MS = 30_000

export interface RunningChillers {
  servers: ChillerServer[]
  bridge: ChillerBridge
  close(): Promise<void>
}

/**
 * `tapflow up --opcua-chillers N`: one simulated cellar-chiller OPC-UA server for each of the first N venues
 * (ports basePort, basePort+1, …), bridged into the gateway's WAL and batches.
 */
export async function startChillers(o: {
  venues: readonly string[]
  count: number
  basePort: number
  gateway: Gateway
  logger: Logger
  /** When given, a venue's chiller fails while any of its taps carries the cooling-failure profile. */
  sim?: Pick<Simulator, 'onEvent'>
  venueOf?: (deviceId: string) => string | undefined
  /** Profiles put on taps at start (a manifest's); the simulator reports later ones as events. */
  initialProfiles?: readonly { deviceId: string; profile: string }[]
  /**
   * Start the servers only once this settles (or after 30 s): an OPC-UA server's start is seconds of CPU, better spent
   * on the device sessions that bring the first live pour. Default: none (start at once).
   */
  after?: Promise<unknown>
  /** Aborted while waiting for `after`: the servers are not started (close() still works). Default: none. */
  signal?: AbortSignal
}): Promise<RunningChillers> {
  const servers = o.venues.slice(0, o.count).map((venueId, i) => new ChillerServer({ venueId, port: o.basePort + i, seed: i + 1, logger: o.logger }))
  const bridge = new ChillerBridge({
    chillers: servers.map((s, i) => ({ endpointUrl: s.endpointUrl, venueId: o.venues[i]!, chillerId: s.chillerId })),
    store: (table, row, ack) => o.gateway.store(table, row, ack),
    logger: o.logger,
  })
  const byVenue = new Map(servers.map((s, i) => [o.venues[i]!, s]))
  const failing = new Map<string, Set<string>>()
  const follow = (deviceId: string, on: boolean): void => {
    const venue = o.venueOf?.(deviceId)
    const server = venue === undefined ? undefined : byVenue.get(venue)
    if (server === undefined || venue === undefined) return
    const set = failing.get(venue) ?? new Set<string>()
    if (on) set.add(deviceId)
    else set.delete(deviceId)
    failing.set(venue, set)
    if (server.coolingFailure !== set.size > 0) o.logger.info({ venue, coolingFailure: set.size > 0 }, 'chiller cooling failure follows the venue’s taps')
    server.setCoolingFailure(set.size > 0)
  }
  for (const p of o.initialProfiles ?? []) if (p.profile === 'cooling-failure') follow(p.deviceId, true)
  const off = o.sim?.onEvent((e) => {
    if (e.kind === 'profile_applied' && e.detail.startsWith('cooling-failure')) follow(e.deviceId, true)
    else if (e.kind === 'profiles_cleared' && e.detail.split(',').includes('cooling-failure')) follow(e.deviceId, false)
  })
  const close = async (): Promise<void> => {
    off?.()
    await bridge.close()
    await Promise.all(servers.map((s) => s.close()))
  }
  try {
    if (o.after !== undefined) {
      let timer: NodeJS.Timeout | undefined
      let onAbort: (() => void) | undefined
      await Promise.race([
        o.after.catch(() => undefined),
        new Promise((r) => (timer = setTimeout(r, AFTER_WAIT_MS))),
        new Promise<void>((r) => o.signal?.addEventListener('abort', (onAbort = () => r()), { once: true })),
      ])
      clearTimeout(timer)
      if (onAbort !== undefined) o.signal?.removeEventListener('abort', onAbort)
    }
    if (o.signal?.aborted === true) return { servers, bridge, close }
    for (const s of servers) await s.start()
    await bridge.start()
  } catch (err) {
    await close().catch(() => undefined)
    throw err
  }
  return { servers, bridge, close }
}
