import { isValidId } from '../common/index.js'

/**
 * MQTT topic contract: tapflow/v1/{venue_id}/{device_id}/{kind}.
 * Ids are restricted to [A-Za-z0-9_-] so they can never smuggle '/', '+' or '#' into a topic.
 */
export const TOPIC_ROOT = 'tapflow/v1'
export const FRAME_KINDS = ['pour', 'temp', 'health'] as const
export type FrameKind = (typeof FRAME_KINDS)[number]
export type TopicSuffix = FrameKind | 'status' | 'cmd' | 'batch'

// The id rule lives in common (light) so the CLI's argument parsers check ids without loading protobuf.
export { isValidId }

export function topicFor(venueId: string, deviceId: string, suffix: TopicSuffix): string {
  return `${TOPIC_ROOT}/${venueId}/${deviceId}/${suffix}`
}

/** Subscription filter for every telemetry frame of every device. */
export const TELEMETRY_FILTER = `${TOPIC_ROOT}/+/+/+`

export interface ParsedTopic {
  venueId: string
  deviceId: string
  suffix: string
}

/** Splits a topic; returns undefined unless it has the exact shape with valid ids. */
export function parseTopic(topic: string): ParsedTopic | undefined {
  if (!topic.startsWith(TOPIC_ROOT + '/')) return undefined
  const parts = topic.slice(TOPIC_ROOT.length + 1).split('/')
  if (parts.length !== 3) return undefined
  const [venueId, deviceId, suffix] = parts as [string, string, string]
  if (!isValidId(venueId) || !isValidId(deviceId)) return undefined
  return { venueId, deviceId, suffix }
}

export function isFrameKind(s: string): s is FrameKind {
  return (FRAME_KINDS as readonly string[]).includes(s)
}
