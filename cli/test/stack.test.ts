import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../common/index.js'
import { freePort } from '../../test/peers/index.js'
import { startGatewayStack } from '../stack.js'

/** True once something can bind the port again. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
  })
}

describe('gateway stack shutdown', () => {
  // One data directory for both: chDB opens one directory per process.
  const dataDir = mkdtempSync(join(tmpdir(), 'tapflow-stack-'))
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('closes the broker it already opened when the WAL cannot open, so the MQTT port is free again', async () => {
    writeFileSync(join(dataDir, 'wal'), 'not a directory')
    const [mqttPort, webPort, sqlPort] = [await freePort(), await freePort(), await freePort()]
    await expect(startGatewayStack({ dataDir, host: '127.0.0.1', mqttPort, webPort, sqlPort, insecure: true, logger: silentLogger })).rejects.toThrow()
    expect(await portIsFree(mqttPort)).toBe(true)
  })

  it('closes every listener, and closing twice is harmless', async () => {
    const [mqttPort, webPort, sqlPort] = [await freePort(), await freePort(), await freePort()]
    rmSync(join(dataDir, 'wal'))
    const stack = await startGatewayStack({ dataDir, host: '127.0.0.1', mqttPort, webPort, sqlPort, insecure: true, logger: silentLogger })
    expect(await portIsFree(mqttPort)).toBe(false)
    await stack.close()
    await stack.close()
    for (const port of [mqttPort, webPort, sqlPort]) expect(await portIsFree(port)).toBe(true)
  })
})
