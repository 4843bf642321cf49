/**
 * Where frames come from. The gateway is written against this alone, so the embedded broker and an
 * external one are interchangeable.
 */
export type FrameHandler = (topic: string, payload: Buffer, ack: () => void) => void

export interface FrameSource {
  /** Starts delivering telemetry frames to `handler`. `ack` tells the source the frame is durable. */
  start(handler: FrameHandler): Promise<void>
  /** Stops delivering and releases the connection or listener. */
  close(): Promise<void>
  /** Human-readable description for logs. */
  readonly description: string
  /** Devices with an open session, when the source can tell. */
  connectedDevices(): number | undefined
}
