import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { DataFormat } from '@clickhouse/client'
import { Command, Option } from 'commander'
import { TapflowClickHouseError, ConfigError, errorMessage, type Logger } from '../../common/index.js'
import { url } from '../options.js'
import { readStackInfo } from '../stack-file.js'
import { addSqlLimitOptions, sqlLimits, type GatewayStackFlags } from '../stack-options.js'
import { checkDataDir } from '../data-dir.js'

type SqlLimitFlags = Pick<GatewayStackFlags, 'sqlMaxSeconds' | 'sqlMaxMemory' | 'sqlMaxResultRows' | 'sqlMaxResultBytes'>
interface SqlCliOptions extends SqlLimitFlags {
  format: string
  dataDir: string
  clickhouseUrl?: string
}

export function registerSql(program: Command, deps: { logger: Logger }): void {
  const cmd = program
    .command('sql')
    .description('run a read-only query over what the stack wrote (through the running stack, or the data directory); the --sql-max-* limits apply to the directory, a running stack applies its own')
    .argument('<query>', 'SQL, e.g. "SELECT count() FROM tapflow.pours"')
    .addOption(new Option('--format <fmt>', 'ClickHouse output format').default(process.stdout.isTTY ? 'PrettyCompactMonoBlock' : 'TabSeparatedWithNames'))
    .addOption(new Option('--data-dir <dir>', 'data directory of the stack').default('./data'))
    .addOption(new Option('--clickhouse-url <url>', 'query a ClickHouse server (or a running stack\'s SQL port) instead').argParser(url(['http:', 'https:'])))
  addSqlLimitOptions(cmd, false).action(async (query: string, o: SqlCliOptions) => {
    if (!/^[A-Za-z0-9]+$/.test(o.format)) throw new ConfigError(`--format must be a ClickHouse format name, got '${o.format}'`)
    const write = (chunk: Buffer): Promise<void> | void => {
      if (!process.stdout.write(chunk)) return new Promise((resolve) => process.stdout.once('drain', resolve))
    }
    if (o.clickhouseUrl === undefined) checkDataDir(o.dataDir, { write: false, exclusive: false })
    const remote = o.clickhouseUrl ?? readStackInfo(o.dataDir)?.sqlUrl
    if (remote !== undefined) return viaHttp(remote, query, o.format, write)
    // No stack owns the directory: open it here, behind the same guard and limits as the SQL port.
    if (!existsSync(join(o.dataDir, 'clickhouse'))) {
      throw new ConfigError(`no TapFlow data in ${o.dataDir}: start the stack with 'make up' (or pass --data-dir / --clickhouse-url)`)
    }
    const { ReadOnlySql } = await import('../../edge-gateway/index.js')
    const sql = await ReadOnlySql.open({ path: join(o.dataDir, 'clickhouse'), limits: { ...sqlLimits(o), maxConcurrent: 1 }, logger: deps.logger })
    try {
      await sql.run(query, { format: o.format, onChunk: write })
    } finally {
      await sql.close()
    }
  })
}

/**
 * A running stack's SQL port (which applies the guard and its own limits) or a ClickHouse server of the user's;
 * readonly=1 either way.
 */
async function viaHttp(target: string, query: string, format: string, write: (chunk: Buffer) => Promise<void> | void): Promise<void> {
  const [{ createClient, ClickHouseLogLevel }, { asClickHouseError }] = await Promise.all([import('@clickhouse/client'), import('../../edge-gateway/index.js')])
  const client = createClient({ url: target, log: { level: ClickHouseLogLevel.OFF } })
  try {
    const rs = await client.exec({ query: query.replace(/;\s*$/, ''), clickhouse_settings: { readonly: '1', default_format: format as DataFormat } })
    for await (const chunk of rs.stream) await write(chunk as Buffer)
  } catch (err) {
    // The same one line as offline: ClickHouse's `Code: N. DB::Exception: …`.
    const code = (err as { code?: unknown }).code
    throw typeof code === 'string' && /^\d+$/.test(code)
      ? new TapflowClickHouseError(`Code: ${code}. DB::Exception: ${errorMessage(err)}`, Number(code), { cause: err })
      : asClickHouseError(err, 'query failed')
  } finally {
    await client.close()
  }
}
