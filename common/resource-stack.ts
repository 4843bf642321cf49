import { errorMessage } from './errors.js'
import { silentLogger, type Logger } from './logger.js'

export interface ResourceStackOptions {
  /** Where a closer's failure is logged (each one, with its name). Default: silent. */
  logger?: Logger
}

type Closer = { name: string; close: () => unknown }

/**
 * Resources opened one after another and closed in reverse, like Node's `AsyncDisposableStack` (not in Node 20).
 * Register each resource the moment it opens (`use`, `defer`), so a failure half-way through a start still closes
 * everything opened before it. Closing runs every closer in its own try/catch: one that throws is logged and the
 * rest still run. Closing twice is harmless (the second call waits for the first), and anything registered after
 * the stack closed is closed at once.
 */
export class ResourceStack {
  private readonly closers: Closer[] = []
  private readonly log: Logger
  private closing: Promise<void> | undefined
  /** Closers that threw, for tests and exit codes. */
  failures = 0

  constructor(opts: ResourceStackOptions = {}) {
    this.log = opts.logger ?? silentLogger
  }

  /** Registers a resource with `close()` (or `[Symbol.asyncDispose]`) and returns it. */
  use<T extends { close(): unknown } | AsyncDisposable>(name: string, resource: T): T {
    this.defer(name, () => ('close' in resource ? resource.close() : resource[Symbol.asyncDispose]()))
    return resource
  }

  /** Registers a function to run at close, after everything registered later. */
  defer(name: string, close: () => unknown): void {
    const closer = { name, close }
    if (this.closing === undefined) this.closers.push(closer)
    else void this.run(closer)
  }

  get closed(): boolean {
    return this.closing !== undefined
  }

  /** Closes everything in reverse order of registration; never throws. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // Pop, not reverse(): the list is consumed, so nothing can run twice or in the wrong order.
      for (let c = this.closers.pop(); c !== undefined; c = this.closers.pop()) await this.run(c)
    })()
    return this.closing
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  private async run(c: Closer): Promise<void> {
    try {
      await c.close()
    } catch (err) {
      this.failures++
      this.log.error({ resource: c.name, err: errorMessage(err) }, 'closing a resource failed; closing the rest')
    }
  }
}
