import { spawn, spawnSync } from 'node:child_process'
import { freePort, waitForPort } from '../../../test/peers/index.js'

export interface RedisPeer {
  url: string
  close(): Promise<void>
}

export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version']).error === undefined
}

/** A real Debian redis-server on a free loopback port, no persistence. */
export async function startRedis(): Promise<RedisPeer> {
  if (!redisServerInstalled()) throw new Error("redis-server is not installed: run scripts/install-peers.sh as root, or 'apt-get install redis-server'")
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  try {
    await waitForPort(port, 10_000)
  } catch (err) {
    child.kill('SIGKILL')
    throw new Error(`redis-server did not start: ${stderr || String(err)}`)
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
    },
  }
}
