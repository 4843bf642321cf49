import { describe, expect, it } from 'vitest'
import { mosquittoBinary, requirePeers, startMosquitto } from '../../test/peers/index.js'
import { runLoad } from '../index.js'

// A real Mosquitto at its DEFAULT max_queued_messages (1000) drops QoS 1 frames to a subscriber that
// falls behind. Whatever it drops must be reported as lost — never hidden.
describe.skipIf(mosquittoBinary() === undefined && !requirePeers)('tapflow load against a real Mosquitto (default config)', () => {
  it('reports every frame the broker dropped as lost, and the identity holds', async () => {
    const peer = await startMosquitto()
    try {
      const r = await runLoad({ devices: 300, events: 30_000, broker: peer.url, baseline: false })
      const a = r.accounting
      expect(a.published).toBe(30_000)
      expect(a.identityHolds).toBe(true)
      expect(a.landed + a.lost + a.deadLettered).toBe(a.published)
      // Either everything landed or the shortfall is counted as lost, device by device.
      if (a.landed < a.published) {
        expect(a.lost).toBeGreaterThan(0)
        expect(a.devicesWithGaps).toBeGreaterThan(0)
      }
    } finally {
      await peer.close()
    }
  })
})
