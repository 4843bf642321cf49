import { randomBytes } from 'node:crypto'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { afterEach, describe, expect, it } from 'vitest'
import { EmbeddedBroker, FleetAuthority, canPublish, canSubscribe, type FrameHandler } from '../index.js'

const authority = new FleetAuthority(randomBytes(32))
const VEN = 'ven-0001'
const DEV = 'tap-0001-01'
const own = (suffix: string, dev = DEV, ven = VEN): string => `tapflow/v1/${ven}/${dev}/${suffix}`

describe('topic ACL', () => {
  const device = { role: 'device' as const, deviceId: DEV, venueId: VEN }
  it('lets a device publish only under its own prefix and subscribe only to its own cmd', () => {
    expect(canPublish(device, own('pour'))).toBeUndefined()
    expect(canPublish(device, own('status'))).toBeUndefined()
    expect(canPublish(device, own('pour', 'tap-0002-01'))).toMatch(/only under/)
    expect(canPublish(device, own('pour', DEV, 'ven-0002'))).toMatch(/only under/)
    expect(canPublish(device, own('cmd'))).toMatch(/may not publish/)
    expect(canPublish(device, own('pour') + '/x')).toMatch(/may not publish/)
    expect(canPublish(device, 'tapflow/sim/v1/ground_truth')).toMatch(/only under/)
    expect(canSubscribe(device, own('cmd'))).toBeUndefined()
    expect(canSubscribe(device, 'tapflow/v1/#')).toMatch(/only to/)
    expect(canSubscribe(device, own('cmd', 'tap-0002-01'))).toMatch(/only to/)
  })
  it('keeps tools and the gateway out of device telemetry', () => {
    const tool = { role: 'tool' as const, name: 'fleet' }
    expect(canPublish(tool, own('cmd'))).toBeUndefined()
    expect(canPublish(tool, 'tapflow/sim/v1/ground_truth')).toBeUndefined()
    expect(canPublish(tool, own('pour'))).toMatch(/may not publish device telemetry/)
    expect(canSubscribe(tool, 'tapflow/v1/#')).toBeUndefined()
  })
})

describe('credentials', () => {
  it('verifies derived passwords, binds the venue, and refuses anything else', () => {
    const c = authority.device(VEN, DEV)
    expect(authority.verify(c.username, c.password)).toEqual({ role: 'device', deviceId: DEV, venueId: VEN })
    expect(authority.verify(c.username, Buffer.from(c.password))).toBeDefined()
    expect(authority.verify(`ven-0002/${DEV}`, c.password)).toBeUndefined()
    expect(authority.verify(c.username, c.password.slice(1))).toBeUndefined()
    expect(authority.verify(c.username, undefined)).toBeUndefined()
    expect(authority.verify('tool:sim', authority.tool('sim').password)).toEqual({ role: 'tool', name: 'sim' })
    expect(authority.verify('tool:sim', authority.gateway('sim').password)).toBeUndefined()
    expect(new FleetAuthority(randomBytes(32)).verify(c.username, c.password)).toBeUndefined()
  })
})

describe('embedded broker with an authority', () => {
  let broker: EmbeddedBroker | undefined
  const clients: MqttClient[] = []
  const frames: string[] = []
  const handler: FrameHandler = (topic, _payload, ack) => {
    frames.push(topic)
    ack()
  }
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)))
    await broker?.close()
    frames.length = 0
  })
  const start = async (allowAnonymous = false): Promise<string> => {
    broker = new EmbeddedBroker({ port: 0, authority, allowAnonymous })
    await broker.start(handler)
    return broker.url
  }
  const connect = async (url: string, o: IClientOptions): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...o })
    clients.push(c)
    return c
  }
  const refusal = (url: string, o: IClientOptions): Promise<number | undefined> =>
    connect(url, o).then(() => undefined, (err: { code?: number }) => err.code)

  it('refuses anonymous clients, wrong passwords and borrowed client ids', async () => {
    const url = await start()
    expect(await refusal(url, { clientId: DEV })).toBe(5)
    expect(await refusal(url, { clientId: DEV, username: `${VEN}/${DEV}`, password: 'guess' })).toBe(4)
    expect(await refusal(url, { clientId: 'tap-0009-01', ...authority.device(VEN, DEV) })).toBe(4)
    expect(broker!.security.refused).toBe(3)
  })

  it('lets --insecure clients in without credentials', async () => {
    const url = await start(true)
    const c = await connect(url, { clientId: 'anon' })
    await c.publishAsync(own('temp'), Buffer.from([1]), { qos: 1 })
    expect(frames).toEqual([own('temp')])
  })

  it('delivers a device’s own frames and drops what it publishes for another device', async () => {
    const url = await start()
    const dev = await connect(url, { clientId: DEV, ...authority.device(VEN, DEV) })
    await dev.publishAsync(own('temp'), Buffer.from([1]), { qos: 1 })
    expect(frames).toEqual([own('temp')])
    const closed = new Promise<void>((r) => dev.once('close', () => r()))
    dev.publish(own('temp', 'tap-0002-01'), Buffer.from([1]), { qos: 1 })
    await closed
    expect(frames).toEqual([own('temp')])
    expect(broker!.security.denied).toBe(1)
  })

  it('grants a device its own cmd subscription only, and a tool anything', async () => {
    const url = await start()
    const dev = await connect(url, { clientId: DEV, ...authority.device(VEN, DEV) })
    expect((await dev.subscribeAsync(own('cmd'), { qos: 1 })).map((g) => g.qos)).toEqual([1])
    await expect(dev.subscribeAsync(own('cmd', 'tap-0002-01'), { qos: 1 })).rejects.toThrow(/Subscribe error/)
    await expect(dev.subscribeAsync('tapflow/v1/#', { qos: 1 })).rejects.toThrow(/Subscribe error/)
    expect(broker!.security.denied).toBe(2)
    const tool = await connect(url, { clientId: 'watch-1', ...authority.tool('watch') })
    expect((await tool.subscribeAsync('tapflow/v1/#', { qos: 1 })).map((g) => g.qos)).toEqual([1])
  })
})
