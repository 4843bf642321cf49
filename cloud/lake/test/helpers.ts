import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openClickHouse, type ClickHouseClient } from '../../../edge-gateway/index.js'

/**
 * A chDB session and a lake root for one test file. chDB opens Iceberg files only under the working directory, so
 * the test process moves into a fresh temp dir (vitest runs each file in its own process) and moves back after.
 */
export interface LakeFixture {
  dir: string
  client: ClickHouseClient
  close(): Promise<void>
}

export async function lakeFixture(): Promise<LakeFixture> {
  const prev = process.cwd()
  const dir = await mkdtemp(join(tmpdir(), 'tapflow-lake-'))
  process.chdir(dir)
  const { client } = openClickHouse({ path: join(dir, 'clickhouse') })
  return {
    dir,
    client,
    async close() {
      await client.close()
      process.chdir(prev)
      await rm(dir, { recursive: true, force: true })
    },
  }
}
