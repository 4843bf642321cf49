import { createServer, type Server } from 'node:net'
import { Aedes } from 'aedes'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MqttTransport, buildFleet } from '../../firmware-sim/index.js'
import { topicFor } from '../../proto/index.js'

/**
 * A broker that takes a device's telemetry and never acknowledges it (as for a revoked device, or a gateway that
 * went away) must not hang the simulator's shutdown: close() waits `drainTimeoutMs`, then ends the sessions.
 */
describe('MqttTransport.close with PUBACKs that never come', () => {
  let broker: Aedes
  let server: Server
  let url: string

  beforeAll(async () => {
    broker = await Aedes.createBroker({
      // Telemetry is never authorised, so its PUBACK never leaves; status and everything else pass.
      authorizePublish: (_client, packet, done) => {
        if (packet.topic.endsWith('/pour')) return
        done(null)
      },
    })
    server = createServer(broker.handle)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    url = `mqtt://127.0.0.1:${address.port}`
  })

  afterAll(async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()))
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('gives up after the drain timeout and closes every session', async () => {
    const device = buildFleet({ devices: 1, seed: 7 }).devices[0]!
    const transport = new MqttTransport({ url, drainTimeoutMs: 300 })
    await transport.connect([device])
    const topic = topicFor(device.venueId, device.deviceId, 'pour')
    transport.publish({ kind: 'pour', deviceId: device.deviceId, seq: 1, tsMs: 0, topic, payload: new Uint8Array([1, 2, 3]) })
    expect(transport.unacked).toBe(1)
    const started = Date.now()
    await transport.close()
    const took = Date.now() - started
    expect(took).toBeGreaterThanOrEqual(290)
    expect(took).toBeLessThan(5_000)
    expect(transport.stats.acked).toBe(0)
  })
})
