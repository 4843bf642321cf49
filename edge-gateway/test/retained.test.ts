import mqtt, { type MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { EmbeddedBroker } from '../index.js'

/** Retained messages through the embedded broker, which answers exact-topic subscriptions from an index. */
describe('embedded broker retained messages', () => {
  let broker: EmbeddedBroker | undefined
  const clients: MqttClient[] = []
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)))
    await broker?.close()
    broker = undefined
  })

  async function connect(id: string): Promise<MqttClient> {
    const c = await mqtt.connectAsync(broker!.url, { clientId: id, reconnectPeriod: 0 })
    clients.push(c)
    return c
  }

  /** What a fresh subscriber to `pattern` receives as retained, by topic. */
  async function retainedFor(pattern: string, expected: number): Promise<Record<string, string>> {
    const c = await connect(`sub-${clients.length}`)
    const got: Record<string, string> = {}
    c.on('message', (topic, payload, packet) => {
      if (packet.retain) got[topic] = payload.toString()
    })
    await c.subscribeAsync(pattern, { qos: 1 })
    await expect.poll(() => Object.keys(got).length).toBe(expected)
    return got
  }

  it('delivers the latest retained message to exact and wildcard subscriptions, and none once cleared', async () => {
    broker = new EmbeddedBroker({ port: 0 })
    await broker.start((_t, _p, ack) => ack())
    const pub = await connect('pub')
    await pub.publishAsync('tapflow/v1/ven-1/tap-1/status', 'online', { qos: 1, retain: true })
    await pub.publishAsync('tapflow/v1/ven-1/tap-2/status', 'offline', { qos: 1, retain: true })
    await pub.publishAsync('tapflow/v1/ven-1/tap-2/status', 'online', { qos: 1, retain: true })

    expect(await retainedFor('tapflow/v1/ven-1/tap-2/status', 1)).toEqual({ 'tapflow/v1/ven-1/tap-2/status': 'online' })
    expect(await retainedFor('tapflow/v1/ven-1/+/status', 2)).toEqual({ 'tapflow/v1/ven-1/tap-1/status': 'online', 'tapflow/v1/ven-1/tap-2/status': 'online' })

    await pub.publishAsync('tapflow/v1/ven-1/tap-2/status', '', { qos: 1, retain: true })
    const late = await retainedFor('tapflow/v1/ven-1/#', 1)
    expect(late).toEqual({ 'tapflow/v1/ven-1/tap-1/status': 'online' })
    // The exact subscription to the cleared topic gets nothing: aedes sends retained messages right after the SUBACK,
    // so one for tap-2 would arrive before the tap-1 subscription's.
    const c = await connect('sub-cleared')
    const topics: string[] = []
    c.on('message', (topic) => topics.push(topic))
    await c.subscribeAsync('tapflow/v1/ven-1/tap-2/status', { qos: 1 })
    await c.subscribeAsync('tapflow/v1/ven-1/tap-1/status', { qos: 1 })
    await expect.poll(() => topics.length).toBeGreaterThan(0)
    expect(topics).toEqual(['tapflow/v1/ven-1/tap-1/status'])
  })
})
