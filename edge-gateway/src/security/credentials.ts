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

  /** The identity a username/password pair proves, or undefined. Constant-time on the password. */
  verify(username: string | undefined, password: Buffer | string | undefined): Identity | undefined {
    if (username === undefined || password === undefined || username.length > 200) return undefined
    const identity = parseUsername(username)
    if (identity === undefined) return undefined
    const role = identity.role === 'device' ? `device:${username}` : username
    const expected = Buffer.from(this.sign(role))
    const given = Buffer.from(password)
    return given.length === expected.length && timingSafeEqual(given, expected) ? identity : undefined
  }

  private sign(what: string): string {
    return createHmac('sha256', this.secret).update(what).digest('base64url')
  }
}

function parseUsername(u: string): Identity | undefined {
  const colon = /^(gateway|tool):([A-Za-z0-9_.-]{1,64})$/.exec(u)
  if (colon !== null) return colon[1] === 'gateway' ? { role: 'gateway', name: colon[2]! } : { role: 'tool', name: colon[2]! }
  const parts = u.split('/')
  if (parts.length !== 2 || !isValidId(parts[0]!) || !isValidId(parts[1]!)) return undefined
  return { role: 'device', venueId: parts[0]!, deviceId: parts[1]! }
}
