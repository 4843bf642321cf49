import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EmbeddedBroker, ExternalSource } from '../../edge-gateway/index.js'
import { TemperatureReading, topicFor } from '../../proto/index.js'
import { mosquittoBinary, requirePeers, startMosquitto, type MosquittoPeer } from '../peers/index.js'
import { waitFor } from './faults-support.js'

describe('ExternalSource options and protocol', () => {
  it('names its options, not CLI flags, in errors', () => {
    expect(() => new ExternalSource({ url: 'not a url' })).toThrow(/^ExternalSource url is not a URL/)
    expect(() => new ExternalSource({ url: 'http://x' })).toThrow(/^ExternalSource url must be mqtt/)
    expect(() => new ExternalSource({ url: 'mqtt://x', receiveMaximum: 0 })).toThrow(/receiveMaximum must be an integer from 1 to 65535/)
  })

  it('refuses a broker without MQTT 5 with a clear error instead of acknowledging frames it cannot hold', async () => {
    // aedes speaks MQTT 3.1.1 only: it answers an MQTT 5 CONNECT with "unacceptable protocol version".
    const broker = new EmbeddedBroker({ port: 0, allowAnonymous: true })
    await broker.listen()
    try {
      const source = new ExternalSource({ url: broker.url, clientId: `tapflow-gw-v311-${process.pid}` })
      await expect(source.start(() => undefined)).rejects.toThrow(/refused MQTT 5.*needs MQTT 5's Receive Maximum/)
      await source.close()
    } finally {
      await broker.close()
    }
  })
})

describe.skipIf(mosquittoBinary() === undefined && !requirePeers)('ExternalSource on Mosquitto: PUBACK only once durable', () => {
  let peer: MosquittoPeer
  beforeAll(async () => {
    peer = await startMosquitto({ config: ['max_queued_messages 0'] })
  })
  afterAll(async () => peer.close())

  it('keeps reading while PUBACKs wait, and the broker redelivers what was never acknowledged', async () => {
    const clientId = `tapflow-gw-puback-${process.pid}`
    const frames = 300 // far beyond Mosquitto's default in-flight window of 20: our Receive Maximum (65535) governs
    const topic = topicFor('ven-0001', 'tap-p001-01', 'temp')
    const seqOf = (p: Buffer): number => Number(TemperatureReading.decode(p).seq)
    const receive = async (ackFirst: number): Promise<{ seqs: number[]; source: ExternalSource }> => {
      const seqs: number[] = []
      const source = new ExternalSource({ url: peer.url, clientId, shared: false })
      await source.start((_t, payload, ack) => {
        seqs.push(seqOf(payload))
        if (seqOf(payload) <= ackFirst) setImmediate(ack) // "durable" a moment later, as after a group commit
      })
      return { seqs, source }
    }
    // First life: subscribes, takes every frame, acknowledges only seq 1..100 (the rest never became durable).
    const first = await receive(100)
    const pub = await mqtt.connectAsync(peer.url, { clientId: `pub-${process.pid}` })
    for (let seq = 1; seq <= frames; seq++) {
      await pub.publishAsync(topic, Buffer.from(TemperatureReading.encode({ device_id: 'tap-p001-01', seq, ts_ms: Date.now(), line_id: 1, line_temp_c: 3, keg_temp_c: 3, ambient_temp_c: 20 }).finish()), { qos: 1 })
    }
    await pub.endAsync()
    await waitFor(() => first.seqs.length === frames, 30_000, 'every frame to be read while no PUBACK past seq 100 was sent')
    await first.source.close()
    // Second life, same session: exactly the 200 frames that were never acknowledged come back.
    const second = await receive(Number.POSITIVE_INFINITY)
    await waitFor(() => second.seqs.length >= frames - 100, 30_000, 'the unacknowledged frames to be redelivered')
    expect([...second.seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: frames - 100 }, (_, i) => 101 + i))
    // They were acknowledged this time, in delivery order; a third life gets nothing.
    await new Promise((r) => setImmediate(r))
    await second.source.close()
    const third = await receive(Number.POSITIVE_INFINITY)
    const probe = await mqtt.connectAsync(peer.url, { clientId: `probe-${process.pid}` })
    await probe.publishAsync(topic, Buffer.from(TemperatureReading.encode({ device_id: 'tap-p001-01', seq: frames + 1, ts_ms: Date.now(), line_id: 1, line_temp_c: 3, keg_temp_c: 3, ambient_temp_c: 20 }).finish()), { qos: 1 })
    await probe.endAsync()
    // The probe frame arrives after anything the broker still held for the session, so once it is here the count is final.
    await waitFor(() => third.seqs.includes(frames + 1), 30_000, 'the probe frame')
    expect(third.seqs).toEqual([frames + 1])
    await third.source.close()
  })
})
