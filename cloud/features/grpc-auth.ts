import { ServerInterceptingCall, status, type Metadata, type ServerInterceptor } from '@grpc/grpc-js'
import type { Logger } from '../../common/index.js'

/** What a cloud gRPC server needs from the fleet's authority (edge-gateway's FleetAuthority fits). */
export interface ControlAuthenticator {
  checkControl(username: string | undefined, password: string | undefined): { ok: true } | { ok: false; reason: string }
}

const BEARER = /^Bearer (tool:[A-Za-z0-9_.-]{1,64}):([A-Za-z0-9_-]{1,100})$/

/**
 * Every call, including methods added later, is refused with UNAUTHENTICATED before a handler runs unless it
 * carries fleet-control credentials (`Bearer tool:<name>:<token>`, as FleetService takes). Shared by the
 * FeatureService and the InferenceService.
 */
export function requireControlCredentials(service: string, auth: ControlAuthenticator, log: Logger): ServerInterceptor {
  // A client sends the same credential call after call: its HMAC is checked once (a few, bounded).
  const accepted = new Set<string>()
  return (method, call) => new ServerInterceptingCall(call, {
    start: (next) => next({
      onReceiveMetadata: (md: Metadata, pass) => {
        const values = md.get('authorization')
        const header = values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined
        if (header !== undefined && accepted.has(header)) return pass(md)
        const m = header === undefined ? null : BEARER.exec(header)
        const r = m === null ? { ok: false as const, reason: values.length === 0 ? 'no credentials' : 'malformed credentials' } : auth.checkControl(m[1], m[2])
        if (r.ok) {
          if (accepted.size >= 64) accepted.clear()
          accepted.add(header as string)
          return pass(md)
        }
        log.warn({ method: method.path, reason: r.reason }, `${service} call refused`)
        call.sendStatus({ code: status.UNAUTHENTICATED, details: `${service} needs fleet-control credentials (${r.reason.replace(/_/g, ' ')})` })
      },
    }),
  })
}
