import { Command, InvalidArgumentError, Option } from 'commander'
import { isValidId, type Logger } from '../../common/index.js'
import type { ChillerEndpoint } from '../../edge-gateway/index.js'
import { url } from '../options.js'
import { addGatewayStackOptions, sqlLimits, type GatewayStackFlags } from '../stack-options.js'
import { onShutdown } from '../shutdown.js'
import { checkDataDir } from '../data-dir.js'

export function registerGateway(program: Command, deps: { logger: Logger }): void {
  const cmd = program
    .command('gateway')
    .description('run the edge gateway alone: MQTT in (embedded broker or --broker), ClickHouse out')
    .addOption(new Option('--broker <url>', 'subscribe to an external broker (Mosquitto, EMQX) via $share/tapflow-gateway/… instead of embedding one').argParser(url(['mqtt:', 'mqtts:'])))
    .addOption(new Option('--opcua <venue=url...>', 'bridge cellar chillers: OPC-UA endpoints, e.g. ven-0001=opc.tcp://10.0.0.5:4840/tapflow (repeatable)').argParser(chillerEndpoint))
  addGatewayStackOptions(cmd).action(async (o: GatewayCliOptions) => {
      const [{ ChillerBridge }, { fleetKeyPath, startGatewayStack }] = await Promise.all([import('../../edge-gateway/index.js'), import('../stack.js')])
      checkDataDir(o.dataDir)
      const stack = await startGatewayStack({ ...o, sqlLimits: sqlLimits(o), logger: deps.logger })
      const bridge = o.opcua === undefined ? undefined : new ChillerBridge({ chillers: o.opcua, store: (table, record, onDurable) => stack.gateway.store(table, record, onDurable), logger: deps.logger })
      onShutdown(async () => {
        await bridge?.close()
        await stack.close()
      }, deps.logger)
      await bridge?.start()
      const devices = o.broker !== undefined ? '' : o.insecure === true ? '  devices  anonymous clients allowed (--insecure)\n'
        : `  devices  need credentials: tapflow sim --broker ${stack.mqttUrl} --fleet-key ${fleetKeyPath(o.dataDir)}\n`
      process.stderr.write(`\nTapFlow gateway is up\n  MQTT     ${stack.mqttUrl}\n  status   ${stack.webUrl}/status\n` + (stack.sqlUrl ? `  SQL      ${stack.sqlUrl}\n` : '') + devices
        + (stack.tls ? `  MQTTS    ${stack.tls.url}  (CA ${stack.tls.caPath})\n` : '') + '\n')
    })
}

/** `ven-0001=opc.tcp://host:4840/path`, accumulated over repeated flags. */
function chillerEndpoint(v: string, prev: ChillerEndpoint[] | undefined): ChillerEndpoint[] {
  const m = /^([^=]+)=(opc\.tcp:\/\/.+)$/.exec(v)
  if (m === null || !isValidId(m[1]!)) throw new InvalidArgumentError('expected <venue_id>=opc.tcp://host:port/path')
  return [...(prev ?? []), { venueId: m[1]!, endpointUrl: m[2]!, chillerId: `chiller-${m[1]!}` }]
}

interface GatewayCliOptions extends GatewayStackFlags {
  opcua?: ChillerEndpoint[]
  broker?: string
}
