import { spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

// `tapflow --help`, `tapflow <cmd> --help` and bad input must not pay for the engines: each command's action imports
// what it needs when it runs. A resolve hook records every module URL the process resolved.
const BIN = fileURLToPath(new URL('../bin/tapflow.js', import.meta.url))
const MAIN = fileURLToPath(new URL('../main.ts', import.meta.url))
const HEAVY = ['echarts', 'onnxruntime-node', 'pg', 'chdb', 'lmdb', 'aedes', '@grpc/grpc-js', '@clickhouse/client', 'ioredis', 'node-opcua', 'protobufjs']

const dir = mkdtempSync(join(tmpdir(), 'tapflow-startup-'))
const hook = join(dir, 'record.mjs')
writeFileSync(hook, `import { register } from 'node:module'
register('data:text/javascript,' + encodeURIComponent(\`
import { appendFileSync } from 'node:fs'
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context)
  appendFileSync(process.env.TAPFLOW_RESOLVED, r.url + '\\\\n')
  return r
}\`))
`)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let runs = 0
function run(...args: string[]): { status: number | null; stdout: string; stderr: string; packages: Set<string> } {
  const out = join(dir, `resolved-${++runs}.txt`)
  writeFileSync(out, '')
  const r = spawnSync(process.execPath, ['--import', hook, BIN, ...args], { encoding: 'utf8', env: { ...process.env, TAPFLOW_RESOLVED: out }, timeout: 10_000 })
  const packages = new Set([...readFileSync(out, 'utf8').matchAll(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//g)].map((m) => m[1]!))
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, packages }
}

const heavyIn = (packages: Set<string>): string[] => HEAVY.filter((p) => packages.has(p))

describe('tapflow start-up loads no engine before an action runs', () => {
  it('the recorder sees the packages a command action loads (so an empty list means something)', () => {
    const r = run('sql', 'SELECT 1', '--clickhouse-url', 'http://127.0.0.1:9')
    expect(r.packages.has('commander')).toBe(true)
    expect(r.packages.has('@clickhouse/client')).toBe(true)
  })

  it.each([['sim'], ['load'], ['up'], ['fleet'], ['models']])('tapflow %s --help', (cmd) => {
    const r = run(cmd, '--help')
    expect(r.status).toBe(0)
    expect(r.stdout).toContain(`Usage: tapflow ${cmd} [options]`)
    expect(heavyIn(r.packages)).toEqual([])
  })

  it('bad input exits 2 with one line, still without the engines', () => {
    const r = run('sim', '--devices', '0')
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/^error: option '--devices <n>' argument '0' is invalid\. expected an integer from 1 to 1000000\n/)
    expect(heavyIn(r.packages)).toEqual([])
  })

  it("tapflow sim's action loads the simulator, not the gateway, the cloud or the charts", async () => {
    // A port nobody listens on: the fleet's first connect is refused, after the action has loaded what it needs.
    const server = createServer().listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    const { port } = server.address() as { port: number }
    await new Promise((resolve) => server.close(resolve))
    const r = run('sim', '--broker', `mqtt://127.0.0.1:${port}`, '--devices', '5', '--max-frames', '1')
    expect(r.stderr).toContain('ECONNREFUSED')
    expect(r.status).toBe(1)
    expect(r.packages.has('mqtt')).toBe(true)
    expect(heavyIn(r.packages)).toEqual(['@grpc/grpc-js', 'protobufjs']) // the wire format and FleetService's types
  })

  it('tapflow --help lists every registered command', () => {
    // main.ts registers each command as register<Name>(program…): registerUp → up.
    const registered = [...readFileSync(MAIN, 'utf8').matchAll(/^register(\w+)\(program\b/gm)].map((m) => m[1]!.toLowerCase())
    expect(registered.length).toBeGreaterThan(10)
    const r = run('--help')
    expect(r.status).toBe(0)
    expect(heavyIn(r.packages)).toEqual([])
    const listed = [...r.stdout.split('Commands:')[1]!.matchAll(/^ {2}(\w+)\b/gm)].map((m) => m[1]!)
    expect(listed).toEqual([...registered, 'help'])
  })
})
