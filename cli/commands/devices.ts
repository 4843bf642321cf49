import { Command, InvalidArgumentError, Option } from 'commander'
import { ConfigError, isValidId } from '../../common/index.js'
import { readStackInfo } from '../stack-file.js'
import { port } from '../options.js'

/** What every devices subcommand's action needs; loaded when it runs, so defining the commands stays light. */
async function engines() {
  const [{ RevocationList }, { topicFor }, { revokedPath }, { readFleetKey }] = await Promise.all([
    import('../../edge-gateway/index.js'), import('../../proto/index.js'), import('../stack.js'), import('./fleet.js'),
  ])
  return { RevocationList, topicFor, revokedPath, readFleetKey }
}

/** `<venue_id>/<device_id>`, the device's MQTT username. */
function deviceRef(v: string): { venueId: string; deviceId: string; username: string } {
  const [venueId, deviceId, ...rest] = v.split('/')
  if (rest.length > 0 || venueId === undefined || deviceId === undefined || !isValidId(venueId) || !isValidId(deviceId)) {
    throw new InvalidArgumentError(`expected <venue>/<device>, e.g. ven-0001/tap-0001-01, got '${v}'`)
  }
  return { venueId, deviceId, username: v }
}

/** A value safe inside single quotes in a POSIX shell line. */
const sq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

const dataDir = (): Option => new Option('--data-dir <dir>', 'data directory of the stack (holds security/fleet.key and security/revoked.json)').default('./data')

export function registerDevices(program: Command): void {
  const devices = program.command('devices').description('provision real devices (their MQTT credentials) and revoke leaked ones')

  devices
    .command('credentials')
    .description('print a device\'s MQTT username and password, and ready mosquitto_pub/mosquitto_sub lines to join the embedded broker')
    .argument('<venue/device>', 'e.g. ven-0001/tap-0001-01', deviceRef)
    .addOption(dataDir())
    .addOption(new Option('--fleet-key <file>', 'the fleet secret (default: <data-dir>/security/fleet.key)'))
    .addOption(new Option('--host <host>', 'broker host for the printed lines (default: the running stack\'s, else 127.0.0.1)'))
    .addOption(new Option('--port <port>', 'broker port for the printed lines (default: the running stack\'s, else 1883)').argParser(port))
    .option('--json', 'one JSON object: username, password, clientId, host, port')
    .action(async (ref: ReturnType<typeof deviceRef>, o: { dataDir: string; fleetKey?: string; host?: string; port?: number; json?: boolean }) => {
      const { RevocationList, topicFor, revokedPath, readFleetKey } = await engines()
      const creds = (await readFleetKey(o)).device(ref.venueId, ref.deviceId)
      const running = readStackInfo(o.dataDir)?.mqttUrl
      const url = running === undefined ? undefined : new URL(running)
      const host = o.host ?? url?.hostname ?? '127.0.0.1'
      const mqttPort = o.port ?? (url === undefined ? 1883 : Number(url.port || 1883))
      if (o.json) {
        process.stdout.write(JSON.stringify({ ...creds, clientId: ref.deviceId, host, port: mqttPort }) + '\n')
        return
      }
      const login = `-h ${host} -p ${mqttPort} -i ${ref.deviceId} -u ${sq(creds.username)} -P ${sq(creds.password)}`
      process.stdout.write(
        `username   ${creds.username}\npassword   ${creds.password}\nclient id  ${ref.deviceId}  (must be the device id)\n` +
          `publishes  ${topicFor(ref.venueId, ref.deviceId, 'pour')} | temp | health | status   subscribes ${topicFor(ref.venueId, ref.deviceId, 'cmd')}\n\n` +
          `mosquitto_pub ${login} -q 1 -r -t ${topicFor(ref.venueId, ref.deviceId, 'status')} -m online\n` +
          `mosquitto_sub ${login} -q 1 -t ${topicFor(ref.venueId, ref.deviceId, 'cmd')}\n`,
      )
      if (new RevocationList(revokedPath(o.dataDir)).has(ref.username)) process.stderr.write(`note: ${ref.username} is revoked; the broker refuses it (tapflow devices unrevoke ${ref.username})\n`)
    })

  devices
    .command('revoke')
    .description('refuse a leaked device at connect (and close its open session) without rotating the fleet key')
    .argument('<venue/device>', 'e.g. ven-0001/tap-0001-01', deviceRef)
    .option('--reason <text>', 'kept in the revocation list')
    .addOption(dataDir())
    .action(async (ref: ReturnType<typeof deviceRef>, o: { dataDir: string; reason?: string }) => {
      const { RevocationList, revokedPath } = await engines()
      const list = new RevocationList(revokedPath(o.dataDir))
      if (!list.revoke(ref.username, new Date(), o.reason)) {
        process.stdout.write(`${ref.username} was already revoked\n`)
        return
      }
      const running = readStackInfo(o.dataDir)
      process.stdout.write(`revoked ${ref.username} in ${list.file}: refused at its next connect` +
        (running === undefined ? '\n' : `; the running stack (pid ${running.pid}) closes its open session now\n`))
    })

  devices
    .command('unrevoke')
    .description('let a revoked device connect again')
    .argument('<venue/device>', 'e.g. ven-0001/tap-0001-01', deviceRef)
    .addOption(dataDir())
    .action(async (ref: ReturnType<typeof deviceRef>, o: { dataDir: string }) => {
      const { RevocationList, revokedPath } = await engines()
      if (!new RevocationList(revokedPath(o.dataDir)).unrevoke(ref.username)) throw new ConfigError(`${ref.username} is not revoked`)
      process.stdout.write(`${ref.username} may connect again\n`)
    })

  devices
    .command('ls-revoked')
    .description('list revoked devices')
    .addOption(dataDir())
    .action(async (o: { dataDir: string }) => {
      const { RevocationList, revokedPath } = await engines()
      const list = new RevocationList(revokedPath(o.dataDir)).list()
      for (const r of list) process.stdout.write(`${r.device}  ${r.at}${r.reason === undefined ? '' : `  ${r.reason}`}\n`)
      process.stdout.write(`${list.length} revoked\n`)
    })
}
