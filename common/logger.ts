import { pino, type Logger, type LevelWithSilent } from 'pino'

export type { Logger }

export interface LoggerOptions {
  /** Minimum level. Default: `LOG_LEVEL` or `info`. */
  level?: LevelWithSilent
  /** Human-readable output. Default: true when stderr is a TTY. */
  pretty?: boolean
}

/** Root logger for the CLI. Components receive it and tag a child: `log.child({ component: 'gateway' })`. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? (process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? 'info'
  const pretty = opts.pretty ?? process.stderr.isTTY === true
  if (pretty) {
    return pino({
      level,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, ignore: 'pid,hostname' } },
    })
  }
  return pino({ level }, pino.destination(2))
}

/** A logger that drops everything: the default for library use and tests. */
export const silentLogger: Logger = pino({ level: 'silent' })
