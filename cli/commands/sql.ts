import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createClient, ClickHouseLogLevel, type DataFormat } from '@clickhouse/client'
import { Command, Option } from 'commander'
import { ConfigError, type Logger } from '../../common/index.js'
import { asClickHouseError, openClickHouse, type ClickHouseClient } from '../../edge-gateway/index.js'
import { url } from '../options.js'
import { readStackInfo } from '../stack-file.js'
import { checkDataDir } from '../data-dir.js'

export function registerSql(program: Command, _deps: { logger: Logger }): void {
  program
    .command('sql')
    .description('run a read-only query over what the stack wrote (through the running stack, or the data directory)')
    .argument('<query>', 'SQL, e.g. "SELECT count() FROM tapflow.pours"')
    .addOption(new Option('--format <fmt>', 'ClickHouse output format').default(process.stdout.isTTY ? 'PrettyCompactMonoBlock' : 'TabSeparatedWithNames'))
    .addOption(new Option('--data-dir <dir>', 'data directory of the stack').default('./data'))
    .addOption(new Option('--clickhouse-url <url>', 'query a ClickHouse server (or a running stack\'s SQL port) instead').argParser(url(['http:', 'https:'])))
    .action(async (query: string, o: { format: string; dataDir: string; clickhouseUrl?: string }) => {
      if (o.clickhouseUrl === undefined) checkDataDir(o.dataDir, { write: false, exclusive: false })
      if (!/^[A-Za-z0-9]+$/.test(o.format)) throw new ConfigError(`--format must be a ClickHouse format name, got '${o.format}'`)
      const client = connect(o)
      try {
        const rs = await client.exec({ query: `${query.replace(/;\s*$/, '')}`, clickhouse_settings: { readonly: '2', default_format: o.format as DataFormat } })
        for await (const chunk of rs.stream) process.stdout.write(chunk as Buffer)
      } catch (err) {
        throw asClickHouseError(err, 'query failed')
      } finally {
        await client.close()
      }
    })
}

/** A running stack owns its chDB directory, so go through its SQL port; otherwise open the directory. */
function connect(o: { dataDir: string; clickhouseUrl?: string }): ClickHouseClient {
  const quiet = { log: { level: ClickHouseLogLevel.OFF } }
  if (o.clickhouseUrl !== undefined) return createClient({ url: o.clickhouseUrl, ...quiet })
  const running = readStackInfo(o.dataDir)
  if (running?.sqlUrl !== undefined) return createClient({ url: running.sqlUrl, ...quiet })
  if (!existsSync(join(o.dataDir, 'clickhouse'))) {
    throw new ConfigError(`no TapFlow data in ${o.dataDir}: start the stack with 'make up' (or pass --data-dir / --clickhouse-url)`)
  }
  return openClickHouse({ path: join(o.dataDir, 'clickhouse') }).client
}
