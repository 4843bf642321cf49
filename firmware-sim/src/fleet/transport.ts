import type { DeviceSpec, Frame } from '../device/types.js'

/** How device frames leave the simulator. One implementation per wire; the actors never see sockets. */
export interface DeviceTransport {
  /** Opens one session per device and marks it online. */
  connect(devices: readonly DeviceSpec[]): Promise<void>
  /** Sends a frame for the device that produced it. Delivery is tracked, not awaited. */
  publish(frame: Frame): void
  /** A promise while too many frames are unacknowledged, so the scheduler slows to what the path takes. */
  backpressure(): Promise<void> | undefined
  /** Waits until every published frame is acknowledged. */
  flush(): Promise<void>
  /** Marks devices offline and ends their sessions. */
  close(): Promise<void>
  readonly stats: TransportStats
  /** Publishes one of the simulator's own records (ground truth) on `topic` at QoS 1. Optional. */
  publishRecord?(topic: string, payload: Uint8Array): void
  /** Hands over commands that arrive on each device's …/cmd topic. Optional: set before `connect`. */
  onCommand?(handler: CommandHandler): void
}

export type CommandHandler = (deviceId: string, payload: Uint8Array) => void

export interface TransportStats {
  /** Frames handed to the wire. */
  sent: number
  /** Frames the broker acknowledged (PUBACK at QoS 1). */
  acked: number
  /** Frames that failed for good. */
  failed: number
}

/** Keeps frames in memory. For tests and determinism checks. */
export class MemoryTransport implements DeviceTransport {
  readonly frames: Frame[] = []
  readonly stats: TransportStats = { sent: 0, acked: 0, failed: 0 }
  /** The simulator's own records (ground truth), in publish order. */
  readonly records: { topic: string; payload: Uint8Array }[] = []
  private commandHandler: CommandHandler | undefined

  async connect(): Promise<void> {}

  publishRecord(topic: string, payload: Uint8Array): void {
    this.records.push({ topic, payload })
  }

  onCommand(handler: CommandHandler): void {
    this.commandHandler = handler
  }

  /** Delivers a command as if it arrived on the device's …/cmd topic. */
  deliver(deviceId: string, payload: Uint8Array): void {
    this.commandHandler?.(deviceId, payload)
  }

  publish(frame: Frame): void {
    this.frames.push(frame)
    this.stats.sent++
    this.stats.acked++
  }

  backpressure(): undefined {
    return undefined
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}
