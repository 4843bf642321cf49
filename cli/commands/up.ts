import { Command, Option } from 'commander'
import type { Logger } from '../../common/index.js'
import { duration, instant, int, port, speed } from '../options.js'
import { onShutdown } from '../shutdown.js'
import { addGatewayStackOptions, sqlLimits, type GatewayStackFlags } from '../stack-options.js'
import { checkDataDir } from '../data-dir.js'
import { readStackInfo } from '../stack-file.js'

export function registerUp(program: Command, deps: { logger: Logger }): void {
  const cmd = program
    .command('up')
    .description('run the whole stack embedded: MQTT broker, edge gateway, ClickHouse (chDB) and a simulated fleet')
    .addOption(new Option('--devices <n>', 'about how many smart taps: scales the business whose installed base the fleet is').default(2000).argParser(int(1, 100_000)))
    .addOption(new Option('--history-days <n>', 'days of business history before the fleet starts, simulated daily (a new data dir only; reused after)').default(30).argParser(int(0, 3650)))
    .addOption(new Option('--no-business', 'run a synthetic fleet with no business behind it (as --manifest does)'))
    .addOption(new Option('--no-lake', 'do not keep the Iceberg lake in <data-dir>/lake (CDC from the business, telemetry, models rebuilt each simulated day)'))
    .addOption(new Option('--seed <n>', 'seed for the fleet and every device').default(42).argParser(int(0, 2 ** 31)))
    .addOption(new Option('--manifest <file>', 'fleet manifest (YAML: venues, taps, firmware, failure profiles, seed); replaces --devices and --seed'))
    .addOption(new Option('--grpc-port <port>', 'FleetService (gRPC) port for `tapflow fleet …`').default(50051).argParser(port))
    .addOption(new Option('--speed <x>', "simulated seconds per real second, or 'max'").default(1).argParser(speed))
    .addOption(new Option('--start <time>', "simulated start (ISO date-time or 'now')").default('now').argParser(instant))
    .addOption(new Option('--duration <d>', 'stop after this much simulated time (e.g. 24h)').argParser(duration))
    .addOption(new Option('--opcua-chillers <n>', 'run a cellar-chiller OPC-UA server for each of the first n venues and bridge it into tapflow.chiller (0: none)').default(3).argParser(int(0, 200)))
    .addOption(new Option('--opcua-port <port>', 'port of the first chiller; the others follow').default(4840).argParser(port))
    .addOption(new Option('--features-port <port>', 'FeatureService (gRPC) port for `tapflow features get`').default(50052).argParser(port))
    .addOption(new Option('--inference-port <port>', 'InferenceService (gRPC) port: the champion models (needs the business, which holds the registry)').default(50053).argParser(port))
    .addOption(new Option('--site-port <port>', 'product website (React, posthog-js) port').default(3000).argParser(port))
    .addOption(new Option('--no-models', 'do not train a maintenance model in the background when the registry has no champion, nor check drift after each simulated day'))
    .addOption(new Option('--features-every <d>', 'materialize the feature store every this much simulated time (and at least every real minute), besides after each business day (0: only then)').default(3_600_000, '1h').argParser(duration))
  addGatewayStackOptions(cmd).action(async (o: UpOptions) => {
      // The whole stack's modules, loaded when it starts, so defining the command (and `tapflow up --help`) stays light.
      const [
        { writeFleetDimensions }, { MqttTransport, SimClock, Simulator }, { fleetFromOptions, startFleetControl }, { startGatewayStack, withCredentials },
        { readHighestSeqs }, { startChillers }, { startStackAndCompany }, { LakeUp, lakeBanner, lakeUnreachable }, { startFeatures }, { demandChampion },
        { startInference }, { ModelBootstrap }, { DriftUp }, { startWebsite, websiteBanner }, { startLive },
      ] = await Promise.all([
        import('../../dashboards/index.js'), import('../../firmware-sim/index.js'), import('./fleet.js'), import('../stack.js'),
        import('../../edge-gateway/index.js'), import('../chillers.js'), import('../company.js'), import('../lake-up.js'), import('../features-up.js'), import('../models-up.js'),
        import('../inference-up.js'), import('../models-bootstrap.js'), import('../drift-up.js'), import('../website-up.js'), import('../live-up.js'),
      ])
      const log = deps.logger
      const start = typeof o.start === 'number' ? o.start : Date.now()
      const clock = new SimClock({ start, speed: o.speed })
      // A bad manifest fails here, before any port or data directory is touched.
      const synthetic = await fleetFromOptions(o)
      checkDataDir(o.dataDir)
      const noLake = !o.lake ? '--no-lake' : o.manifest !== undefined || !o.business ? 'no business to follow' : o.clickhouseUrl !== undefined ? 'it needs the embedded ClickHouse' : lakeUnreachable(o.dataDir)
      // One company: unless the fleet is synthetic, it is the business's installed base, and the business runs beside
      // it. Its PostgreSQL and history start while the gateway stack does.
      const { stack, company } = await startStackAndCompany(startGatewayStack({ ...o, sqlLimits: sqlLimits(o), clock, logger: log }),
        o.manifest === undefined && o.business ? { clock, dataDir: o.dataDir, seed: o.seed, devices: o.devices, start, historyDays: o.historyDays, logger: log } : undefined)
      const { fleet, profiles } = company ?? synthetic
      const firmware = company === undefined ? synthetic.firmware : undefined
      if (company === undefined) await writeFleetDimensions(stack.clickhouse.client, fleet)
      // The embedded demo provisions its own devices: each gets its HMAC-derived credentials, bound to its venue.
      const venueOf = new Map(fleet.devices.map((d) => [d.deviceId, d.venueId]))
      const mqtt = new MqttTransport({
        url: stack.mqttUrl, logger: log, recorderCredentials: stack.authority.tool('sim'),
        credentials: (id) => stack.authority.device(venueOf.get(id) ?? '', id),
      })
      const transport = company?.gate(mqtt) ?? mqtt
      // A reused data dir: every tap goes on from the last seq that landed, as its flash-kept counter would.
      const resumeSeq = await readHighestSeqs(stack.clickhouse.client)
      const sim = new Simulator({ fleet, clock, transport, logger: log, profiles, firmware, resumeSeq, until: o.duration === undefined ? undefined : start + o.duration })
      // OPC-UA chillers take seconds of CPU to start: beside a business, they come up once the gateway has the fleet's
      // first frame. They subscribe to the simulator's events at once, so no profile change is missed.
      const starting = new AbortController() // a stop during start-up does not wait for the chillers' start
      const chillersStarting = o.opcuaChillers > 0 ? startChillers({ venues: fleet.venues.map((v) => v.venueId), count: o.opcuaChillers, basePort: o.opcuaPort, gateway: stack.gateway, logger: log, sim, venueOf: (id) => venueOf.get(id), initialProfiles: profiles, after: company?.started(), signal: starting.signal }) : undefined
      chillersStarting?.catch(() => undefined) // awaited once the fleet is connecting; a failure stops the stack there
      const control = await startFleetControl({ sim, authority: stack.authority, mqttUrl: withCredentials(stack.mqttUrl, stack.authority.tool('fleet')), host: o.host, port: o.grpcPort, now: () => clock.now(), logger: log })
      company?.attach(control.control, venueOf)
      if (company) stack.web.setCompanyStatus(() => ({ business: true, backfill: company.company.backfillStatus() }))
      // The lake waits for the fleet's first frame itself, then follows the business and rebuilds after each day.
      const lake = company && noLake === undefined ? new LakeUp({ dataDir: o.dataDir, stack, business: { databaseUrl: company.company.business.db.url, onDayClosed: (l) => company.onDayClosed(l) }, logger: log }) : undefined
      if (lake) stack.web.setPlatformStatus(() => lake.status())
      const features = await startFeatures({ stack, clock, dataDir: o.dataDir, businessUrl: company && readStackInfo(o.dataDir)?.businessUrl, everyMs: o.featuresEvery, host: o.host, port: o.featuresPort, logger: log })
      company?.onDayClosed((day) => features.materialize(`business day ${day} closed`))
      stack.web.setFeatureSource(features.source)
      const inference = company ? await startInference({ db: company.company.business.db, dataDir: o.dataDir, online: features.store, auth: stack.authority, host: o.host, port: o.inferencePort, logger: log }) : undefined
      const website = await startWebsite({ host: o.host, port: o.sitePort, dataDir: o.dataDir, dashboardUrl: stack.webUrl, client: stack.clickhouse.client, onDemandRequest: company?.leads.onDemandRequest, logger: log })
      if (company) {
        // The venue view's demand forecast: the registered champion, looked up again after each simulated day.
        const forecast = async (): Promise<void> => stack.web.setDemandForecast(await demandChampion({ db: company.company.business.db, client: stack.clickhouse.client, dataDir: o.dataDir, logger: log }))
        void forecast()
        company.onDayClosed(forecast)
      }
      // The maintenance champion, trained in the background when there is none; drift against it after each day.
      const models = company && o.models ? await ModelBootstrap.start({ db: company.company.business.db, dataDir: o.dataDir, seed: o.seed, logger: log }) : undefined
      // Live scoring: the maintenance champion scores every tap; alerts open proactive tickets (after each day: a new champion).
      const live = company ? await startLive({ stack, clock, dataDir: o.dataDir, company: company.company, online: features.store, waiting: () => models?.waiting(), logger: log }) : undefined
      if (live) company?.onDayClosed(() => live.dayClosed())
      stack.web.setModelsSource(live?.source, [`${o.dataDir}/reports/drift`, `${o.dataDir}/reports`, 'reports'])
      const drift = company && o.models ? new DriftUp({ db: company.company.business.db, client: stack.clickhouse.client, dataDir: o.dataDir, clock, logger: log }) : undefined
      if (drift) company?.onDayClosed((day) => drift.dayClosed(day))
      const progress = setInterval(() => {
        log.info({ published: transport.stats.acked, landed: stack.gateway.stats.framesLanded, pending: stack.gateway.pendingRows, simTime: new Date(clock.now()).toISOString() }, 'progress')
      }, 10_000)
      let stopped: Promise<void> | undefined
      const stop = (): Promise<void> => (stopped ??= shutdown())
      const shutdown = async (): Promise<void> => {
        clearInterval(progress)
        starting.abort()
        await control.close()
        await (await chillersStarting?.catch(() => undefined))?.close()
        await sim.close()
        await lake?.close()
        await live?.close()
        await inference?.close()
        await models?.close()
        await drift?.close()
        await company?.close()
        await features.close()
        await website.close()
        await stack.close()
        const { framesLanded, deadLettered, duplicates } = stack.gateway.stats
        log.info({ published: transport.stats.acked, landed: framesLanded, deadLettered, duplicates }, 'stopped: every acknowledged frame is in ClickHouse')
      }
      onShutdown(stop, log)
      const running = sim.start()
      running.catch(() => undefined) // awaited below, after the chillers; its error is thrown there
      process.stderr.write(
        `\nTapFlow is up: ${fleet.devices.length} taps in ${fleet.venues.length} venues, speed ${String(o.speed)}\n` +
          (company ? `  business ${company.summary}\n           tapflow business sql "SELECT * FROM support_tickets ORDER BY opened_day DESC LIMIT 10"\n` : `  fleet is synthetic (no business behind it)\n`) +
          lakeBanner(lake, noLake ?? '') + (live?.banner() ?? '') + (models?.banner() ?? '') +
          `  dashboard ${stack.webUrl}   (in a terminal: tapflow watch)\n` +
          websiteBanner(website) +
          `  fleet    grpc://${control.url}  (tapflow fleet ls | flash | set-profile)\n` +
          `  features grpc://${features.url}  (tapflow features get --entity device=${fleet.devices[0]?.deviceId ?? '<tap>'})\n` +
          (inference ? `  inference grpc://${inference.url}  (InferenceService: the registry's champions; tapflow models train, then promote)\n` : '') +
          (stack.tls ? `  MQTTS    ${stack.tls.url}  (CA ${stack.tls.caPath})\n` : '') +
          (o.opcuaChillers > 0 ? `  OPC-UA   ${Math.min(o.opcuaChillers, fleet.venues.length)} cellar chillers from opc.tcp://127.0.0.1:${o.opcuaPort}/tapflow → tapflow.chiller (they start once frames flow)\n` : '') +
          `  MQTT     ${stack.mqttUrl}\n  status   ${stack.webUrl}/status   metrics ${stack.webUrl}/metrics\n` +
          (stack.sqlUrl ? `  SQL      ${stack.sqlUrl}  (read-only ClickHouse HTTP)\n` : '') +
          `  try      tapflow sql "SELECT count() FROM tapflow.pours"\n  Ctrl-C stops and flushes every frame.\n\n`,
      )
      // The banner comes first: under load the chillers' start can take longer than the first pour.
      try {
        await chillersStarting
      } catch (err) {
        await stop()
        throw err
      }
      await running
      if (stopped === undefined) {
        log.info('simulated duration reached')
        await stop()
        process.exit(0)
      }
    })
}

interface UpOptions extends GatewayStackFlags {
  manifest?: string
  historyDays: number
  business: boolean
  lake: boolean
  grpcPort: number
  devices: number
  seed: number
  speed: number | 'max'
  start: number | string
  duration?: number
  opcuaChillers: number
  opcuaPort: number
  featuresPort: number
  inferencePort: number
  featuresEvery: number
  sitePort: number
  models: boolean
}
