import { Command, InvalidArgumentError, Option } from 'commander'
import type { Logger } from '../../common/index.js'
import { ChillerBridge, parseByteSize, parseFsyncPolicy, type ChillerEndpoint, type FsyncPolicy } from '../../edge-gateway/index.js'
import { isValidId } from '../../proto/index.js'
import { port, url } from '../options.js'
import { onShutdown } from '../shutdown.js'
import { fleetKeyPath, startGatewayStack } from '../stack.js'

export function registerGateway(program: Command, deps: { logger: Logger }): void {
  program
    .command('gateway')
    .description('run the edge gateway alone: MQTT in (embedded broker or --broker), ClickHouse out')
    .addOption(new Option('--broker <url>', 'subscribe to an external broker (Mosquitto, EMQX) via $share/tapflow-gateway/… instead of embedding one').argParser(url(['mqtt:', 'mqtts:'])))
    .addOption(new Option('--clickhouse-url <url>', 'use a ClickHouse server instead of embedded chDB').argParser(url(['http:', 'https:'])))
    .addOption(new Option('--data-dir <dir>', 'where embedded ClickHouse data and the stack file live').default('./data'))
    .addOption(new Option('--host <addr>', 'bind address for every listener').default('127.0.0.1'))
    .addOption(new Option('--mqtt-port <port>', 'embedded MQTT broker port').default(1883).argParser(port))
    .addOption(new Option('--web-port <port>', 'status and /metrics port').default(8080).argParser(port))
    .addOption(new Option('--sql-port <port>', 'read-only ClickHouse HTTP port (embedded chDB only)').default(8123).argParser(port))
    .addOption(new Option('--opcua <venue=url...>', 'bridge cellar chillers: OPC-UA endpoints, e.g. ven-0001=opc.tcp://10.0.0.5:4840/tapflow (repeatable)').argParser(chillerEndpoint))
    .addOption(new Option('--tls-port <port>', 'also serve mqtts:// on this port, with a dev CA generated on first use in <data-dir>/security/tls').argParser(port))
    .addOption(new Option('--insecure', 'let MQTT clients connect to the embedded broker without credentials'))
    .addOption(new Option('--wal-fsync <policy>', 'when a frame counts as durable in <data-dir>/wal: always (fsync each group commit), interval (every 100 ms), never (OS decides)').default('always').argParser(parseFsyncPolicy))
    .addOption(new Option('--wal-max-bytes <size>', 'bound on the write-ahead log; when full the gateway stops acknowledging and the broker/devices hold frames').default(256 * 1024 * 1024, '256MiB').argParser(parseByteSize))
    .action(async (o: GatewayCliOptions) => {
      const stack = await startGatewayStack({ ...o, logger: deps.logger })
      const bridge = o.opcua === undefined ? undefined : new ChillerBridge({ chillers: o.opcua, store: (t, r, a) => stack.gateway.store(t, r, a), logger: deps.logger })
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

interface GatewayCliOptions {
  opcua?: ChillerEndpoint[]
  broker?: string
  clickhouseUrl?: string
  dataDir: string
  host: string
  mqttPort: number
  webPort: number
  sqlPort: number
  walFsync: FsyncPolicy
  insecure?: boolean
  tlsPort?: number
  walMaxBytes: number
}
