import { Command, CommanderError } from 'commander'
import { TapflowError, createLogger, errorMessage } from '../common/index.js'
import { registerBusiness } from './commands/business.js'
import { registerDevices } from './commands/devices.js'
import { registerFleet } from './commands/fleet.js'
import { registerFeatures } from './commands/features.js'
import { registerGateway } from './commands/gateway.js'
import { registerLake } from './commands/lake.js'
import { registerLoad } from './commands/load.js'
import { registerModels } from './commands/models.js'
import { registerServe } from './commands/serve.js'
import { registerSim } from './commands/sim.js'
import { registerSql } from './commands/sql.js'
import { registerUp } from './commands/up.js'
import { registerWatch } from './commands/watch.js'

const logger = createLogger()
const program = new Command('tapflow')
  .description('TapFlow: virtual smart taps → MQTT → edge gateway → ClickHouse, and the cloud around them')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()

const deps = { logger }
registerUp(program, deps)
registerWatch(program, deps)
registerSim(program, deps)
registerFleet(program, deps)
registerGateway(program, deps)
registerSql(program, deps)
registerLoad(program, deps)
registerBusiness(program, deps)
registerDevices(program)
registerLake(program, deps)
registerFeatures(program)
registerModels(program, deps)
registerServe(program, deps)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2)
  // One clear line, non-zero exit: 2 for bad input, 1 for everything else.
  process.stderr.write(`tapflow: ${errorMessage(err)}\n`)
  process.exit(err instanceof TapflowError && err.code === 'CONFIG' ? 2 : 1)
}
