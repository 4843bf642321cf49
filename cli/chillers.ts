import type { Logger } from '../common/index.js'
import { ChillerBridge, type Gateway } from '../edge-gateway/index.js'
import { ChillerServer } from '../firmware-sim/index.js'

export interface RunningChillers {
  servers: ChillerServer[]
  bridge: ChillerBridge
  close(): Promise<void>
}

/**
 * `tapflow up --opcua-chillers N`: one simulated cellar-chiller OPC-UA server for each of the first N venues
 * (ports basePort, basePort+1, …), bridged into the gateway's WAL and batches.
 */
export async function startChillers(o: { venues: readonly string[]; count: number; basePort: number; gateway: Gateway; logger: Logger }): Promise<RunningChillers> {
  const servers = o.venues.slice(0, o.count).map((venueId, i) => new ChillerServer({ venueId, port: o.basePort + i, seed: i + 1, logger: o.logger }))
  const bridge = new ChillerBridge({
    chillers: servers.map((s, i) => ({ endpointUrl: s.endpointUrl, venueId: o.venues[i]!, chillerId: s.chillerId })),
    store: (table, row, ack) => o.gateway.store(table, row, ack),
    logger: o.logger,
  })
  const close = async (): Promise<void> => {
    await bridge.close()
    await Promise.all(servers.map((s) => s.close()))
  }
  try {
    for (const s of servers) await s.start()
    await bridge.start()
  } catch (err) {
    await close().catch(() => undefined)
    throw err
  }
  return { servers, bridge, close }
}
