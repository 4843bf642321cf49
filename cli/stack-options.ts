import { InvalidArgumentError, Option, type Command } from 'commander'
import { DEFAULT_SQL_LIMITS, DEFAULT_WAL_MAX_BYTES, FSYNC_POLICIES, errorMessage, parseByteSize, parseRetention, type FsyncPolicy, type SqlLimits } from '../common/index.js'
import { int, port, url } from './options.js'

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
  sqlMaxSeconds: number
  sqlMaxMemory: number
  sqlMaxResultRows: number
  sqlMaxResultBytes: number
  sqlMaxConcurrent: number
}

/** The --sql-* limit flags, as ReadOnlySql's limits. */
export function sqlLimits(o: Partial<Pick<GatewayStackFlags, 'sqlMaxSeconds' | 'sqlMaxMemory' | 'sqlMaxResultRows' | 'sqlMaxResultBytes' | 'sqlMaxConcurrent'>>): Partial<SqlLimits> {
  return { maxSeconds: o.sqlMaxSeconds, maxMemoryBytes: o.sqlMaxMemory, maxResultRows: o.sqlMaxResultRows, maxResultBytes: o.sqlMaxResultBytes, maxConcurrent: o.sqlMaxConcurrent }
}

/** Limits on every query of the SQL port and `tapflow sql` (--sql-max-concurrent only where there is a port). */
export function addSqlLimitOptions(cmd: Command, withConcurrency: boolean): Command {
  const d = DEFAULT_SQL_LIMITS
  const mib = (n: number): string => (n % 1024 ** 3 === 0 ? `${n / 1024 ** 3}GiB` : `${n / 1024 ** 2}MiB`)
  cmd
    .addOption(new Option('--sql-max-seconds <s>', 'SQL: cut a query after this many seconds').default(d.maxSeconds).argParser(int(1, 86_400)))
    .addOption(new Option('--sql-max-memory <size>', 'SQL: memory one query may use').default(d.maxMemoryBytes, mib(d.maxMemoryBytes)).argParser(parseByteSize))
    .addOption(new Option('--sql-max-result-rows <n>', 'SQL: refuse results with more rows').default(d.maxResultRows).argParser(int(1, Number.MAX_SAFE_INTEGER)))
    .addOption(new Option('--sql-max-result-bytes <size>', 'SQL: refuse results larger than this').default(d.maxResultBytes, mib(d.maxResultBytes)).argParser(parseByteSize))
  if (withConcurrency) {
    cmd.addOption(new Option('--sql-max-concurrent <n>', 'SQL: queries at once on the SQL port; more get HTTP 429 (code 202)').default(d.maxConcurrent).argParser(int(1, 64)))
  }
  return cmd
}

export function addGatewayStackOptions(cmd: Command): Command {
  return addSqlLimitOptions(cmd, true)
    .addOption(new Option('--clickhouse-url <url>', 'use a ClickHouse server instead of embedded chDB').argParser(url(['http:', 'https:'])))
    .addOption(new Option('--data-dir <dir>', 'where ClickHouse data, the WAL, keys and the stack file live').default('./data'))
    .addOption(new Option('--host <addr>', 'bind address for every listener').default('127.0.0.1'))
    .addOption(new Option('--mqtt-port <port>', 'embedded MQTT broker port').default(1883).argParser(port))
    .addOption(new Option('--web-port <port>', 'dashboard, /status and /metrics port').default(8080).argParser(port))
    .addOption(new Option('--sql-port <port>', 'read-only ClickHouse HTTP port for `tapflow sql` (embedded chDB only)').default(8123).argParser(port))
    .addOption(new Option('--tls-port <port>', 'also serve mqtts:// on this port, with a dev CA generated on first use in <data-dir>/security/tls').argParser(port))
    .addOption(new Option('--insecure', 'let MQTT clients connect to the embedded broker without credentials'))
    .addOption(new Option('--wal-fsync <policy>', 'when a frame counts as durable in <data-dir>/wal: always (fsync each group commit), interval (every 100 ms), never (OS decides)').default('always').choices(FSYNC_POLICIES))
    .addOption(new Option('--wal-max-bytes <size>', 'bound on the write-ahead log; when full the gateway withholds PUBACKs and the broker/devices hold frames').default(DEFAULT_WAL_MAX_BYTES, `${DEFAULT_WAL_MAX_BYTES / 1024 ** 2}MiB`).argParser(byteSize))
    .addOption(new Option('--retention-raw <period>', 'keep raw telemetry (pours, temperatures, health, chiller) this long: 90d, 12w, 2y or forever').default(90, '90d').argParser(parseRetention))
    .addOption(new Option('--retention-rollups <period>', 'keep rollups and the seq-gap record this long').default(730, '2y').argParser(parseRetention))
    .addOption(new Option('--retention-dead-letters <period>', 'keep dead letters this long').default(30, '30d').argParser(parseRetention))
}

/** `--wal-max-bytes`: a bad size is Commander's one-line error that names the flag. */
function byteSize(v: string): number {
  try {
    return parseByteSize(v)
  } catch (err) {
    throw new InvalidArgumentError(errorMessage(err))
  }
}
