import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runLoad, writeReport } from '../index.js'

describe('tapflow load on the embedded path', () => {
  it('accounts for every one of ~20K frames with zero loss, unbatched and batched', async () => {
    for (const batch of [1, 10]) {
      const r = await runLoad({ devices: 200, events: 20_000, batch, baseline: batch === 1 })
      expect(r.accounting.published).toBe(20_000)
      expect(r.accounting).toMatchObject({ landed: 20_000, lost: 0, deadLettered: 0, duplicates: 0, identityHolds: true, devicesWithGaps: 0 })
      expect(r.freshness.samples).toBeGreaterThan(50)
      expect(r.throughput.overall_fps).toBeGreaterThan(0)
      expect(r.processes.map((p) => p.name)).toEqual(['broker + gateway + ClickHouse', 'simulator 0/1'])
      if (batch === 1) {
        expect(r.baseline?.frames).toBe(20_000)
        expect(r.baseline?.simCpuSeconds).toBeGreaterThan(0)
        expect(r.baseline?.brokerCpuSeconds).toBeGreaterThan(0)
        expect(r.cpuPerFrameUs.baseline?.engine).toBeLessThan(r.cpuPerFrameUs.baseline!.total / 4)
      }
      // Where the CPU went: the shares add up, the simulator's start-up is left out, and chDB's threads did work.
      const c = r.cpuPerFrameUs.run
      const simTotalUs = (r.processes[1]!.cpuSeconds * 1e6) / 20_000
      expect(c.simulator).toBeGreaterThan(0)
      expect(c.simulator).toBeLessThan(simTotalUs)
      expect(c.total).toBeCloseTo(c.simulator + c.process, 0)
      expect(c.javascript! + c.nodeHelpers! + c.engine!).toBeCloseTo(c.process, 0)
      expect(c.javascript).toBeGreaterThan(0)
      expect(c.engine).toBeGreaterThan(0)

      const dir = mkdtempSync(join(tmpdir(), 'tapflow-report-'))
      try {
        const files = writeReport(r, dir)
        expect(JSON.parse(readFileSync(files.json, 'utf8')).accounting.landed).toBe(20_000)
        const html = readFileSync(files.html, 'utf8')
        expect(html).toContain('identity holds')
        expect((html.match(/<svg/g) ?? []).length).toBe(3)
        expect(html).toContain('Where the CPU went')
        expect(html).not.toMatch(/<script[^>]+src=/)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }
  })

  it('rejects impossible options', async () => {
    await expect(runLoad({ devices: 100, events: 0 })).rejects.toThrow(/--events/)
  })
})
