import { EmbeddedBroker } from '../../edge-gateway/index.js'
import { pipelineSuite } from './pipeline-suite.js'

pipelineSuite({
  name: 'aedes',
  async start() {
    const broker = new EmbeddedBroker({ port: 0 })
    await broker.listen()
    // The gateway's close() closes its source, which is this broker.
    return { source: broker, deviceUrl: broker.url, close: async () => undefined }
  },
})
