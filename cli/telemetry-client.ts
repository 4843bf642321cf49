import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createClient, ClickHouseLogLevel, type ClickHouseClient } from '@clickhouse/client'
import { ConfigError } from '../common/index.js'
import { openClickHouse } from '../edge-gateway/index.js'
import { checkDataDir } from './data-dir.js'
import { readStackInfo } from './stack-file.js'

/**
 * A ClickHouse client for a command that reads telemetry. While the stack runs, chDB's directory is the stack's:
 * read through its read-only SQL port (`remote` is then its URL). Otherwise open the data dir's chDB here.
 */
export function openTelemetryClient(o: { dataDir: string; clickhouseUrl?: string }): { client: ClickHouseClient; remote: string | undefined } {
  if (o.clickhouseUrl === undefined) checkDataDir(o.dataDir, { write: false, exclusive: false })
  const remote = o.clickhouseUrl ?? readStackInfo(o.dataDir)?.sqlUrl
  if (remote !== undefined) return { client: createClient({ url: remote, log: { level: ClickHouseLogLevel.OFF }, request_timeout: 600_000 }), remote }
  if (!existsSync(join(o.dataDir, 'clickhouse'))) {
    throw new ConfigError(`no TapFlow data in ${o.dataDir}: start the stack with 'make up' (or pass --data-dir / --clickhouse-url)`)
  }
  return { client: openClickHouse({ path: join(o.dataDir, 'clickhouse') }).client, remote }
}
