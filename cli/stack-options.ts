import { Option, type Command } from 'commander'
import { parseByteSize, parseFsyncPolicy, parseRetention, type FsyncPolicy } from '../edge-gateway/index.js'
import { port, url } from './options.js'

/** Flags of the gateway side of the stack, shared by `tapflow up` and `tapflow gateway`. */
export interface GatewayStackFlags {
  clickhouseUrl?: string
  dataDir: string
  host: string
  mqttPort: number
  webPort: number
  sqlPort: number
  tlsPort?: number
  insecure?: boolean
  walFsync: FsyncPolicy
  walMaxBytes: number
  /** Retention in days (0 = forever), applied as table TTLs at start. */
  retentionRaw: number
  retentionRollups: number
  retentionDeadLetters: number
}

export function addGatewayStackOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--clickhouse-url <url>', 'use a ClickHouse server instead of embedded chDB').argParser(url(['http:', 'https:'])))
    .addOption(new Option('--data-dir <dir>', 'where ClickHouse data, the WAL, keys and the stack file live').default('./data'))
    .addOption(new Option('--host <addr>', 'bind address for every listener').default('127.0.0.1'))
    .addOption(new Option('--mqtt-port <port>', 'embedded MQTT broker port').default(1883).argParser(port))
    .addOption(new Option('--web-port <port>', 'dashboard, /status and /metrics port').default(8080).argParser(port))
    .addOption(new Option('--sql-port <port>', 'read-only ClickHouse HTTP port for `tapflow sql` (embedded chDB only)').default(8123).argParser(port))
    .addOption(new Option('--tls-port <port>', 'also serve mqtts:// on this port, with a dev CA generated on first use in <data-dir>/security/tls').argParser(port))
    .addOption(new Option('--insecure', 'let MQTT clients connect to the embedded broker without credentials'))
    .addOption(new Option('--wal-fsync <policy>', 'when a frame counts as durable in <data-dir>/wal: always (fsync each group commit), interval (every 100 ms), never (OS decides)').default('always').argParser(parseFsyncPolicy))
    .addOption(new Option('--wal-max-bytes <size>', 'bound on the write-ahead log; when full the gateway stops acknowledging and the broker/devices hold frames').default(256 * 1024 * 1024, '256MiB').argParser(parseByteSize))
    .addOption(new Option('--retention-raw <period>', 'keep raw telemetry (pours, temperatures, health, chiller) this long: 90d, 12w, 2y or forever').default(90, '90d').argParser(parseRetention))
    .addOption(new Option('--retention-rollups <period>', 'keep rollups and the seq-gap record this long').default(730, '2y').argParser(parseRetention))
    .addOption(new Option('--retention-dead-letters <period>', 'keep dead letters this long').default(30, '30d').argParser(parseRetention))
}
