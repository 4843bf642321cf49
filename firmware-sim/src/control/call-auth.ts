import { Metadata, ServerInterceptingCall, status, type ServerInterceptor } from '@grpc/grpc-js'

/**
 * What FleetService needs from the fleet's authority (edge-gateway's FleetAuthority fits): a check of a
 * tool credential derived from the fleet key. Typed structurally so this folder does not import the gateway.
 */
export interface CallAuthenticator {
  checkControl(username: string | undefined, password: string | undefined): { ok: true; identity: { role: string } } | { ok: false; reason: string }
}

/** A FleetService credential: a tool identity and its token, from FleetAuthority.control(name). */
export interface CallCredentials {
  username: string
  password: string
}

const BEARER = /^Bearer (tool:[A-Za-z0-9_.-]{1,64}):([A-Za-z0-9_-]{1,100})$/

/** The `authorization` metadata a FleetService call carries: `Bearer tool:<name>:<token>`. */
export function callMetadata(c: CallCredentials): Metadata {
  const md = new Metadata()
  md.set('authorization', `Bearer ${c.username}:${c.password}`)
  return md
}

/** The tool identity the call's metadata proves (e.g. `tool:cli.alice`), or why it proves none. */
export function callerOf(auth: CallAuthenticator, md: Metadata): { ok: true; actor: string } | { ok: false; reason: string } {
  const values = md.get('authorization')
  const m = values.length === 1 && typeof values[0] === 'string' ? BEARER.exec(values[0]) : null
  if (m === null) return { ok: false, reason: values.length === 0 ? 'no credentials' : 'malformed credentials' }
  const r = auth.checkControl(m[1], m[2])
  return r.ok ? { ok: true, actor: m[1]! } : { ok: false, reason: r.reason.replace(/_/g, ' ') }
}

/**
 * A server interceptor that ends every call without valid credentials with UNAUTHENTICATED before any
 * handler runs: it sits in front of all methods, including ones added later, so none can skip it.
 */
export function requireCredentials(auth: CallAuthenticator, onRefused: (reason: string, method: string) => void): ServerInterceptor {
  return (method, call) => new ServerInterceptingCall(call, {
    start: (next) => next({
      onReceiveMetadata: (md, pass) => {
        const r = callerOf(auth, md)
        if (r.ok) return pass(md)
        onRefused(r.reason, method.path)
        call.sendStatus({ code: status.UNAUTHENTICATED, details: `FleetService needs fleet-control credentials (${r.reason}); tapflow fleet reads them from <data-dir>/security/fleet.key or --fleet-key` })
      },
    }),
  })
}
