import { randomUUID } from 'node:crypto'
import { gunzip } from 'node:zlib'
import { promisify } from 'node:util'
import { errorMessage } from '../../common/index.js'
import { CaptureError } from './errors.js'
import type { ProductEvent } from './table.js'

const gunzipAsync = promisify(gunzip)

/** Longest event name and distinct id accepted (PostHog's own limits are 200). */
const MAX_NAME = 200
/** Events stamped further ahead than this are stamped now, as PostHog does (a client clock far in the future). */
const MAX_FUTURE_MS = 23 * 3_600_000

/**
 * The JSON inside a capture body, whatever posthog-js wrapped it in: gzip (recognised by its magic bytes, since
 * posthog-js sends `text/plain` and no `?compression=`), a `data=<base64>` form (sendBeacon), `data=<json>`, bare
 * base64, or plain JSON. A gzip body may inflate to at most `maxDecodedBytes`.
 */
export async function decodeBody(body: Buffer, maxDecodedBytes: number): Promise<unknown> {
  let text: string
  if (body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b) {
    try {
      text = (await gunzipAsync(body, { maxOutputLength: maxDecodedBytes })).toString('utf8')
    } catch (err) {
      if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new CaptureError('CAPTURE_TOO_LARGE', `gzip body inflates past ${maxDecodedBytes} bytes`)
      }
      throw new CaptureError('CAPTURE_MALFORMED', `gzip body does not inflate: ${errorMessage(err)}`)
    }
  } else {
    text = body.toString('utf8')
  }
  text = text.trim()
  if (text.length === 0) throw new CaptureError('CAPTURE_MALFORMED', 'empty body')
  if (text.startsWith('data=')) {
    const data = new URLSearchParams(text).get('data') ?? ''
    return parseJsonOrBase64(data.trim())
  }
  return parseJsonOrBase64(text)
}

function parseJsonOrBase64(text: string): unknown {
  const first = text[0]
  if (first === '{' || first === '[') return parseJson(text)
  if (/^[A-Za-z0-9+/=_-]+$/.test(text)) return parseJson(Buffer.from(text, 'base64').toString('utf8'))
  throw new CaptureError('CAPTURE_MALFORMED', 'body is neither JSON, base64, a data= form nor gzip')
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new CaptureError('CAPTURE_MALFORMED', `body is not valid JSON: ${errorMessage(err)}`)
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * posthog-js 1.449 posts `{ api_key, batch: [...], sent_at }`; older clients and other SDKs post an array of events
 * or one event. Every event must carry the project key (`properties.token`, or the batch's `api_key`), an event name
 * and a distinct id. Timestamps are corrected for the client's clock skew with `sent_at`, as PostHog does.
 */
export function parsePayload(value: unknown, projectKey: string, now: number, maxEvents: number): ProductEvent[] {
  let raw: unknown[]
  let batchKey: unknown
  let sentAt: unknown
  if (Array.isArray(value)) raw = value
  else if (isObject(value) && Array.isArray(value.batch)) {
    raw = value.batch as unknown[]
    batchKey = value.api_key
    sentAt = value.sent_at
  } else if (isObject(value) && 'event' in value) raw = [value]
  else throw new CaptureError('CAPTURE_MALFORMED', 'payload is not an event, an array of events or { batch: [...] }')
  if (raw.length === 0) throw new CaptureError('CAPTURE_MALFORMED', 'payload has no events')
  if (raw.length > maxEvents) throw new CaptureError('CAPTURE_TOO_LARGE', `payload has ${raw.length} events; at most ${maxEvents} per request`)
  const sent = typeof sentAt === 'string' ? Date.parse(sentAt) : NaN
  const skew = Number.isFinite(sent) ? now - sent : 0
  return raw.map((e, i) => parseEvent(e, i, batchKey, projectKey, now, skew))
}

function parseEvent(e: unknown, i: number, batchKey: unknown, projectKey: string, now: number, skew: number): ProductEvent {
  const at = `event ${i}`
  if (!isObject(e)) throw new CaptureError('CAPTURE_MALFORMED', `${at} is not an object`)
  const { event, uuid } = e
  if (typeof event !== 'string' || event.length === 0 || event.length > MAX_NAME) {
    throw new CaptureError('CAPTURE_MALFORMED', `${at}: 'event' must be a string of 1..${MAX_NAME} characters`)
  }
  if (e.properties !== undefined && !isObject(e.properties)) throw new CaptureError('CAPTURE_MALFORMED', `${at}: 'properties' must be an object`)
  const { token, ...properties } = e.properties ?? {}
  const key = token ?? e.api_key ?? e.token ?? batchKey
  if (key === undefined) throw new CaptureError('CAPTURE_UNAUTHORIZED', `${at} has no project key (properties.token or api_key)`)
  if (key !== projectKey) throw new CaptureError('CAPTURE_UNAUTHORIZED', `${at}: unknown project key`)
  const id = properties.distinct_id ?? e.distinct_id
  if ((typeof id !== 'string' && typeof id !== 'number') || String(id).length === 0 || String(id).length > MAX_NAME) {
    throw new CaptureError('CAPTURE_MALFORMED', `${at}: 'distinct_id' must be a non-empty string of at most ${MAX_NAME} characters`)
  }
  if (uuid !== undefined && (typeof uuid !== 'string' || uuid.length === 0 || uuid.length > 100)) {
    throw new CaptureError('CAPTURE_MALFORMED', `${at}: 'uuid' must be a string of 1..100 characters`)
  }
  if (e.$set !== undefined) properties.$set = e.$set
  if (e.$set_once !== undefined) properties.$set_once = e.$set_once
  const session = properties.$session_id
  return {
    uuid: uuid ?? randomUUID(),
    event,
    distinct_id: String(id),
    session_id: typeof session === 'string' ? session : '',
    properties,
    timestamp: eventTime(e, at, now, skew),
  }
}

function eventTime(e: Record<string, unknown>, at: string, now: number, skew: number): number {
  let ts: number
  if (e.timestamp === undefined || e.timestamp === null) ts = typeof e.offset === 'number' ? now - e.offset : now
  else {
    ts = typeof e.timestamp === 'number' ? e.timestamp : typeof e.timestamp === 'string' ? Date.parse(e.timestamp) : NaN
    if (!Number.isFinite(ts)) throw new CaptureError('CAPTURE_MALFORMED', `${at}: 'timestamp' is not an ISO-8601 time`)
    ts += skew
  }
  return ts > now + MAX_FUTURE_MS ? now : Math.round(ts)
}
