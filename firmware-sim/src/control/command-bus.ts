import mqtt, { type MqttClient } from 'mqtt'
import { MqttError, errorMessage } from '../../../common/index.js'
import { DeviceCommand, topicFor, type DeviceCommandInit } from '../../../proto/index.js'

/** How commands reach devices: over MQTT to each device's …/cmd topic, or straight into a transport in tests. */
export interface CommandBus {
  send(venueId: string, deviceId: string, cmd: DeviceCommandInit): Promise<void>
  close(): Promise<void>
}

/** Publishes DeviceCommands at QoS 1 on tapflow/v1/{venue}/{device}/cmd from a control session of its own. */
export class MqttCommandBus implements CommandBus {
  private constructor(private readonly client: MqttClient) {}

  static async connect(url: string): Promise<MqttCommandBus> {
    try {
      const client = await mqtt.connectAsync(url, { clientId: `tapflow-fleet-${process.pid}-${Math.random().toString(36).slice(2, 8)}`, clean: true, reconnectPeriod: 1000 })
      return new MqttCommandBus(client)
    } catch (err) {
      throw new MqttError(`fleet control cannot connect to ${url}: ${errorMessage(err)}`, 0x80, { cause: err })
    }
  }

  async send(venueId: string, deviceId: string, cmd: DeviceCommandInit): Promise<void> {
    await this.client.publishAsync(topicFor(venueId, deviceId, 'cmd'), Buffer.from(DeviceCommand.encode(cmd).finish()), { qos: 1 })
  }

  async close(): Promise<void> {
    await this.client.endAsync()
  }
}

/** Encodes and hands commands to a local function (MemoryTransport.deliver in tests). */
export class DirectCommandBus implements CommandBus {
  constructor(private readonly deliver: (deviceId: string, payload: Uint8Array) => void) {}

  async send(_venueId: string, deviceId: string, cmd: DeviceCommandInit): Promise<void> {
    this.deliver(deviceId, DeviceCommand.encode(cmd).finish())
  }

  async close(): Promise<void> {}
}
