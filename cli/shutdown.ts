import { errorMessage, type Logger } from '../common/index.js'

/**
 * Ctrl-C / SIGTERM: run `stop` once (drain and flush), then exit. A second signal exits at once.
 * Only CLI entry points install signal handlers.
 */
export function onShutdown(stop: () => Promise<void>, log: Logger): void {
  let stopping = false
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting without flushing')
      process.exit(130)
    }
    stopping = true
    log.info({ signal }, 'shutting down: draining and flushing')
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: errorMessage(err) }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', handler)
  process.once('SIGTERM', handler)
}
