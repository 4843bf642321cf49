import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, waitForPort } from './net.js'

export interface MosquittoPeer {
  url: string
  port: number
  close(): Promise<void>
}

export interface MosquittoOptions {
  /** Extra mosquitto.conf lines. */
  config?: string[]
}

/** The binary, or undefined when it is not installed. */
export function mosquittoBinary(): string | undefined {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto']) {
    if (spawnSync(p, ['-h']).error === undefined) return p
  }
  return undefined
}

/** Starts a real Mosquitto on a free loopback port with its own config and temp dir. */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<MosquittoPeer> {
  const bin = mosquittoBinary()
  if (bin === undefined) throw new Error("mosquitto is not installed: run 'make test' as root, or 'apt-get install mosquitto'")
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'tapflow-mosquitto-'))
  const conf = join(dir, 'mosquitto.conf')
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr', 'log_type error', ...(opts.config ?? [])].join('\n') + '\n')
  const child: ChildProcess = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  try {
    await waitForPort(port, 10_000)
  } catch (err) {
    child.kill('SIGKILL')
    throw new Error(`mosquitto did not start: ${stderr || String(err)}`)
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
