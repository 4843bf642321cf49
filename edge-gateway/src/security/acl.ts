import { TOPIC_ROOT } from '../../../proto/index.js'
import type { Identity } from './credentials.js'

/**
 * Topic rules for the embedded broker:
 * - a device publishes only under `tapflow/v1/<its venue>/<its id>/…` and subscribes only to its own `…/cmd`;
 * - the gateway and tools (simulator, fleet control, dashboards) may subscribe to anything and publish
 *   commands and simulator records, but never telemetry in a device's name.
 * Returns a reason when refused, for the log.
 */
export function canPublish(who: Identity, topic: string): string | undefined {
  if (who.role === 'device') {
    const own = `${TOPIC_ROOT}/${who.venueId}/${who.deviceId}/`
    if (!topic.startsWith(own)) return `device ${who.deviceId} may publish only under ${own}`
    const rest = topic.slice(own.length)
    if (rest.length === 0 || rest.includes('/') || rest === 'cmd') return `device ${who.deviceId} may not publish to ${topic}`
    return undefined
  }
  if (topic.startsWith(TOPIC_ROOT + '/') && !topic.endsWith('/cmd')) return `${who.role} ${who.name} may not publish device telemetry`
  return undefined
}

export function canSubscribe(who: Identity, filter: string): string | undefined {
  if (who.role !== 'device') return undefined
  const own = `${TOPIC_ROOT}/${who.venueId}/${who.deviceId}/cmd`
  return filter === own ? undefined : `device ${who.deviceId} may subscribe only to ${own}`
}
