import { describe, it } from 'vitest'
import { ExternalSource } from '../../edge-gateway/index.js'
import { mosquittoBinary, requirePeers, startMosquitto } from '../peers/index.js'
import { pipelineSuite } from './pipeline-suite.js'

// Interop with a real broker: Debian's mosquitto, started on a free port. Missing under CI=true is a failure.
if (mosquittoBinary() !== undefined || requirePeers) {
  pipelineSuite({
    name: 'mosquitto',
    async start() {
      // Mosquitto's default max_queued_messages (1000) drops QoS 1 frames to a subscriber that falls behind;
      // the lossless interop run lifts it. The drop case itself is covered by the load and fault suites.
      const peer = await startMosquitto({ config: ['max_queued_messages 0', 'max_inflight_messages 0'] })
      const source = new ExternalSource({ url: peer.url, clientId: `tapflow-gw-test-${process.pid}` })
      return { source, deviceUrl: peer.url, close: () => peer.close() }
    },
  })
} else {
  describe.skip('sim → mosquitto → gateway → chDB (mosquitto not installed; make test installs it as root)', () => {
    it('skipped', () => undefined)
  })
}
