export { TapflowError, ConfigError, PortInUseError, MqttError, ClickHouseError, errorMessage } from './errors.js'
export { createLogger, silentLogger, type Logger, type LoggerOptions } from './logger.js'
export { systemClock, type Clock } from './clock.js'
export { listen, closeHttpServer } from './net.js'
