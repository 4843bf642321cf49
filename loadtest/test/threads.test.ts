import { Worker } from 'node:worker_threads'
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openClickHouse } from '../../edge-gateway/index.js'
import { cpuSince, readCpuSplit } from '../src/threads.js'

const spin = (ms: number): void => {
  const end = performance.now() + ms
  while (performance.now() < end);
}

describe('CPU split by thread (Linux /proc)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapflow-threads-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('charges a busy event loop to JavaScript, and a busy native thread to the engine, not the other way round', async () => {
    const before = readCpuSplit()
    expect(before).toBeDefined()
    spin(300)
    const mid = readCpuSplit()
    const js = cpuSince(before, mid)!
    expect(js.javascript).toBeGreaterThan(0.2)
    expect(js.engine).toBeLessThan(0.1)
    expect(js.javascript + js.nodeHelpers + js.engine).toBeCloseTo(js.total, 1)

    // chDB's threads carry their own names: a query's work is the engine's, while the event loop waits.
    const ch = openClickHouse({ path: dir })
    try {
      await ch.client.query({ query: 'SELECT sum(sipHash64(number)) FROM numbers(30000000)', format: 'JSONEachRow' }).then((r) => r.json())
    } finally {
      await ch.client.close()
    }
    const engine = cpuSince(mid, readCpuSplit())!
    expect(engine.engine).toBeGreaterThan(0.2)
    expect(engine.javascript).toBeLessThan(engine.engine / 2)

    // A worker's thread takes its creator's name: Node's own, not the engine's (read while it lives: an ended thread's
    // CPU is only in the process total, so it counts as the engine's).
    const before2 = readCpuSplit()
    const worker = new Worker('const end = Date.now() + 300; while (Date.now() < end); require("node:worker_threads").parentPort.postMessage(1); setInterval(() => {}, 1000)', { eval: true })
    try {
      await new Promise((resolve) => worker.once('message', resolve))
      const helpers = cpuSince(before2, readCpuSplit())!
      expect(helpers.nodeHelpers).toBeGreaterThan(0.2)
      expect(helpers.engine).toBeLessThan(0.1)
    } finally {
      await worker.terminate()
    }
  })

  it('subtracts field by field and never goes below zero', () => {
    const a = { total: 2, javascript: 1, nodeHelpers: 0.5, engine: 0.5 }
    const b = { total: 3.5, javascript: 1.8, nodeHelpers: 0.6, engine: 1.1 }
    const d = cpuSince(a, b)!
    expect(d.total).toBeCloseTo(1.5)
    expect(d.javascript).toBeCloseTo(0.8)
    expect(d.nodeHelpers).toBeCloseTo(0.1)
    expect(d.engine).toBeCloseTo(0.6)
    expect(cpuSince(b, a)).toEqual({ total: 0, javascript: 0, nodeHelpers: 0, engine: 0 })
    expect(cpuSince(undefined, b)).toBeUndefined()
  })
})
