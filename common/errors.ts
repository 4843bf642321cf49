/** Base class: every TapFlow error carries a stable string code. */
export class TapflowError extends Error {
  readonly code: string
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** Bad flags, manifests or options. The CLI prints the message and exits 2. */
export class ConfigError extends TapflowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'CONFIG', options)
  }
}

/**
 * One bad field of a component's options object. Libraries name the option (`WalOptions.fsync`), never a
 * CLI flag: the CLI knows which flag sets which option and rewrites the message (see `problem`).
 */
export class OptionError extends ConfigError {
  /** `Component.field`, e.g. `WalOptions.fsync`. */
  readonly option: string
  /** What is wrong, without the option's name: `must be one of always, interval, never, got 'x'`. */
  readonly problem: string
  constructor(option: string, problem: string, options?: { cause?: unknown }) {
    super(`${option} ${problem}`, options)
    this.option = option
    this.problem = problem
  }
}

/** A listener could not bind. `flag` names the option that moves it. */
export class PortInUseError extends TapflowError {
  readonly port: number
  readonly flag: string
  constructor(port: number, flag: string, options?: { cause?: unknown }) {
    super(`port ${port} is already in use; pick another with ${flag} <port>`, 'EADDRINUSE', options)
    this.port = port
    this.flag = flag
  }
}

/** An MQTT failure with its reason code (MQTT 5 reason codes; CONNACK return codes for 3.1.1). */
export class MqttError extends TapflowError {
  readonly reasonCode: number
  constructor(message: string, reasonCode: number, options?: { cause?: unknown }) {
    super(message, 'MQTT', options)
    this.reasonCode = reasonCode
  }
}

/**
 * A ClickHouse failure seen by TapFlow, with the server's numeric error code when it sent one. Named apart from
 * @clickhouse/client's own `ClickHouseError` (whose `code` is the server's code as a string): that one is
 * usually this one's `cause`.
 */
export class TapflowClickHouseError extends TapflowError {
  readonly clickhouseCode: number | undefined
  constructor(message: string, clickhouseCode?: number, options?: { cause?: unknown }) {
    super(message, 'CLICKHOUSE', options)
    this.clickhouseCode = clickhouseCode
  }
}

/** The one helper that turns anything thrown into a readable message. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  if (typeof err === 'string') return err
  try {
    return JSON.stringify(err)
  } catch {
    return String(err)
  }
}
