import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ConfigError } from '../../../common/index.js'
import { isValidId } from '../../../proto/index.js'

/** Who a connection is: a device bound to its venue, the gateway, or a named tool (sim, fleet control, watch). */
export type Identity =
  | { role: 'device'; deviceId: string; venueId: string }
  | { role: 'gateway'; name: string }
  | { role: 'tool'; name: string }

export interface MqttCredentials {
  username: string
  password: string
}

/** Why a username/password pair proves nothing: a username of no known form, or a wrong password. */
export type CredentialFailure = 'unknown_identity' | 'bad_credentials'

export type CredentialCheck = { ok: true; identity: Identity } | { ok: false; reason: CredentialFailure }

/**
 * Per-device credentials derived from one fleet secret: password = HMAC-SHA256(secret, role + identity).
 * Nothing per device is stored, a leaked device password opens that device only, and the venue is part of
 * the signed username, so a device cannot claim another venue's topics.
 * Usernames: `<venue_id>/<device_id>` for devices, `gateway:<name>` and `tool:<name>` for the rest.
 */
export class FleetAuthority {
  private readonly secret: Buffer

  constructor(secret: Buffer) {
    if (secret.length < 16) throw new ConfigError('the fleet secret must be at least 16 bytes')
    this.secret = secret
  }

  /**
   * Reads the fleet secret from `file`, creating it (32 random bytes, mode 0600) on first use,
   * so `tapflow gateway` and `tapflow sim` sharing a data directory share credentials.
   */
  static fromFile(file: string, opts: { create?: boolean } = {}): FleetAuthority {
    if (!existsSync(file)) {
      if (opts.create === false) throw new ConfigError(`fleet key ${file} does not exist (the gateway creates it on first start)`)
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
      chmodSync(file, 0o600)
    }
    const hex = readFileSync(file, 'utf8').trim()
    if (!/^[0-9a-f]{32,}$/i.test(hex)) throw new ConfigError(`fleet key ${file} is not a hex secret of at least 16 bytes`)
    return new FleetAuthority(Buffer.from(hex, 'hex'))
  }

  device(venueId: string, deviceId: string): MqttCredentials {
    const username = `${venueId}/${deviceId}`
    return { username, password: this.sign(`device:${username}`) }
  }

  gateway(name = 'gateway'): MqttCredentials {
    return { username: `gateway:${name}`, password: this.sign(`gateway:${name}`) }
  }

  tool(name: string): MqttCredentials {
    return { username: `tool:${name}`, password: this.sign(`tool:${name}`) }
  }

  /**
   * Credentials for FleetService (gRPC) calls, sent as `authorization: Bearer tool:<name>:<token>`.
   * The token is signed under its own label, so no MQTT password (a tool's included) opens fleet control.
   */
  control(name: string): MqttCredentials {
    if (!TOOL_NAME.test(name)) throw new ConfigError(`tool name: expected 1-64 of A-Z a-z 0-9 _ . -, got '${name}'`)
    return { username: `tool:${name}`, password: this.sign(`grpc:tool:${name}`) }
  }

  /** The tool identity a FleetService credential proves, or why not. Only `tool:` identities can hold one. */
  checkControl(username: string | undefined, password: string | undefined): CredentialCheck {
    const identity = username === undefined || username.length > 200 ? undefined : parseUsername(username)
    if (identity === undefined || identity.role !== 'tool') return { ok: false, reason: 'unknown_identity' }
    return this.matches(`grpc:${username!}`, password) ? { ok: true, identity } : { ok: false, reason: 'bad_credentials' }
  }

  /** The identity a username/password pair proves, or undefined. Constant-time on the password. */
  verify(username: string | undefined, password: Buffer | string | undefined): Identity | undefined {
    const r = this.check(username, password)
    return r.ok ? r.identity : undefined
  }

  /** Like verify, with the reason for a refusal (for the security counters). */
  check(username: string | undefined, password: Buffer | string | undefined): CredentialCheck {
    const identity = username === undefined || username.length > 200 ? undefined : parseUsername(username)
    if (identity === undefined) return { ok: false, reason: 'unknown_identity' }
    const role = identity.role === 'device' ? `device:${username!}` : username!
    return this.matches(role, password) ? { ok: true, identity } : { ok: false, reason: 'bad_credentials' }
  }

  private matches(what: string, password: Buffer | string | undefined): boolean {
    if (password === undefined) return false
    const expected = Buffer.from(this.sign(what))
    const given = Buffer.from(password)
    return given.length === expected.length && timingSafeEqual(given, expected)
  }

  private sign(what: string): string {
    return createHmac('sha256', this.secret).update(what).digest('base64url')
  }
}

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/

function parseUsername(u: string): Identity | undefined {
  const colon = /^(gateway|tool):([A-Za-z0-9_.-]{1,64})$/.exec(u)
  if (colon !== null) return colon[1] === 'gateway' ? { role: 'gateway', name: colon[2]! } : { role: 'tool', name: colon[2]! }
  const parts = u.split('/')
  if (parts.length !== 2 || !isValidId(parts[0]!) || !isValidId(parts[1]!)) return undefined
  return { role: 'device', venueId: parts[0]!, deviceId: parts[1]! }
}
