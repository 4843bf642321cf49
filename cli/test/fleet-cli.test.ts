import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FleetAuthority } from '../../edge-gateway/index.js'
import { DirectCommandBus, FleetControl, FleetService, MemoryTransport, SimClock, Simulator, buildFleet } from '../../firmware-sim/index.js'

const BIN = fileURLToPath(new URL('../bin/tapflow.js', import.meta.url))
const START = Date.UTC(2026, 10, 20)

/** Runs a shell line (so pipes behave as a user's would) and collects exit code, stdout and stderr. */
function sh(line: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('bash', ['-c', line], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    p.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

const tapflow = (args: string): Promise<{ code: number | null; stdout: string; stderr: string }> => sh(`node ${BIN} ${args}`)

describe('tapflow fleet from the command line', () => {
  let dir: string
  let sim: Simulator
  let control: FleetControl
  let service: FleetService

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tapflow-cli-fleet-'))
    const authority = FleetAuthority.fromFile(join(dir, 'security', 'fleet.key'))
    const transport = new MemoryTransport()
    sim = new Simulator({ fleet: buildFleet({ devices: 2_000, seed: 4 }), clock: new SimClock({ start: START, speed: 'max' }), transport, until: START + 1 })
    await sim.start()
    control = new FleetControl({ sim, bus: new DirectCommandBus((id, p) => transport.deliver(id, p)), now: () => START })
    service = new FleetService({ control, authority, port: 0 })
    await service.listen()
  })

  afterAll(async () => {
    await service?.close()
    await control?.close()
    await sim?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('signs its calls with the data dir\'s fleet key', async () => {
    const r = await tapflow(`fleet ls --grpc-url ${service.url} --data-dir ${dir} --select device=tap-0001-01 --json`)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ device_id: 'tap-0001-01' })
  })

  it('without a fleet key says so in one line and exits 2', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tapflow-cli-nokey-'))
    try {
      const r = await tapflow(`fleet flash --firmware 6.6.6 --select device=tap-0002-01 --grpc-url ${service.url} --data-dir ${empty}`)
      expect(r.code).toBe(2)
      expect(r.stderr).toBe(`tapflow: no fleet key at ${join(empty, 'security', 'fleet.key')}: pass the running stack's --data-dir, or --fleet-key <file>\n`)
      const other = join(empty, 'other.key')
      writeFileSync(other, 'ab'.repeat(32) + '\n')
      const wrong = await tapflow(`fleet flash --firmware 6.6.6 --select device=tap-0002-01 --grpc-url ${service.url} --fleet-key ${other}`)
      expect(wrong.code).toBe(1)
      expect(wrong.stderr).toMatch(/^tapflow: FleetService at .* refused the credentials: .*bad credentials/)
      expect(sim.device('tap-0002-01')!.firmware).not.toBe('6.6.6')
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })

  it('`fleet ls | head -4` ends quietly when the reader goes away (no EPIPE stack trace)', async () => {
    const r = await sh(`set -o pipefail; node ${BIN} fleet ls --grpc-url ${service.url} --data-dir ${dir} | head -4`)
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(4)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
  })
})

describe('bad manifests exit 2', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tapflow-cli-manifest-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const bomb = ['seed: 1', 'a: &a ["x","x","x","x","x","x","x","x","x"]']
  for (const [i, l] of ['b', 'c', 'd', 'e', 'f', 'g'].entries()) {
    const prev = ['a', 'b', 'c', 'd', 'e', 'f'][i]!
    bomb.push(`${l}: &${l} [${Array(9).fill(`*${prev}`).join(',')}]`)
  }
  const cases: [string, string, RegExp][] = [
    ['alias bomb', bomb.join('\n') + '\n', /YAML: Excessive alias count/],
    ['deep nesting', `a: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, /YAML/],
    ['binary', '\u0000\u0001\u0002garbage: [\n', /YAML|expected/],
  ]
  for (const [name, text, message] of cases) {
    it.concurrent(`${name}: one line, exit 2`, async () => {
      const file = join(dir, `${name.replace(/ /g, '-')}.yaml`)
      writeFileSync(file, text)
      const r = await tapflow(`fleet check --manifest ${file}`)
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(message)
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1)
    })
  }

  it('an alias bomb given to `tapflow up` exits 2 before anything starts', async () => {
    const file = join(dir, 'up-bomb.yaml')
    writeFileSync(file, bomb.join('\n') + '\n')
    const r = await tapflow(`up --manifest ${file} --data-dir ${join(dir, 'data')} --mqtt-port 0 --web-port 0 --sql-port 0 --grpc-port 0`)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/^tapflow: .*YAML: Excessive alias count/)
  })
})
