import { errorMessage, type Logger } from '../common/index.js'
import { accountDimensions, openCompany, tapHazards, ticketDimensions, weakPoint, type Company, type RosterChange, type SimConfig } from '../cloud/index.js'
import { writeBusinessDimensions, writeFleetDimensions } from '../dashboards/index.js'
import { buildRosterFleet, type DeviceTransport, type FleetControl, type FleetSpec, type ProfileAssignment, type SimClock } from '../firmware-sim/index.js'
import { readStackInfo, writeStackInfo } from './stack-file.js'
import type { GatewayStack } from './stack.js'

const DAY_MS = 86_400_000
/** Simulated time after midnight before the day is closed: frames of the last minutes are in by then. */
const CLOSE_GRACE_MS = 5 * 60_000
/** How often the midnight watch looks at the simulated clock, real ms. */
const WATCH_MS = 250

export interface CompanyRunOptions {
  stack: GatewayStack
  clock: SimClock
  dataDir: string
  /** PostgreSQL server instead of the embedded one. Default: embedded in <dataDir>/postgres. */
  databaseUrl?: string
  seed: number
  /** Taps the customer book should have (a new business only). */
  devices: number
  /** Fleet start, simulated ms. */
  start: number
  /** Days of history before the fleet starts (a new business only). */
  historyDays: number
  /** Business volume overrides, e.g. { signupsPerDay }. Default: none. */
  sim?: Partial<SimConfig>
  logger: Logger
}

/** The business running beside the fleet in `tapflow up`: its roster is the fleet, its DAG runs at simulated midnight. */
export interface CompanyRun {
  readonly company: Company
  /** The live accounts' venues and taps on the start day. */
  readonly fleet: FleetSpec
  readonly accountOf: ReadonlyMap<string, string>
  /**
   * Every tap's failure hazard, as the daily model has it: its weak-point profile with `hazard_per_day`. So the live
   * fleet fails as often, and in the same ways, as the history before it.
   */
  readonly profiles: ProfileAssignment[]
  /** One line for the start banner. */
  readonly summary: string
  /** Start following the fleet: close each simulated day, apply installs, decommissions and repairs. */
  attach(control: FleetControl, venueOf: Map<string, string>): void
  /**
   * The fleet's transport, gated on the business at --speed max: simulated time waits at midnight (plus a grace)
   * until the day is closed, so the DAG keeps up by construction and its roster changes land on time. Paced speeds
   * pass through: there the DAG runs in the seconds a simulated day leaves it.
   */
  gate(transport: DeviceTransport): DeviceTransport
  /**
   * Run `listener` after each simulated day's DAG has closed the day (the lake rebuilds its models, the feature
   * store materializes). Listeners run in order, in the DAG's lane; one that fails is logged, the others still run.
   */
  onDayClosed(listener: (day: string) => Promise<void> | void): void
  /** Close every day that has fully ended, then stop. */
  close(): Promise<void>
}

/** Opens the business, simulates its history before the fleet starts, and returns the fleet it owns. */
export async function startCompany(o: CompanyRunOptions): Promise<CompanyRun> {
  const log = o.logger.child({ component: 'company' })
  const client = o.stack.clickhouse.client
  const company = await openCompany({
    clickhouse: client, dataDir: o.dataDir, databaseUrl: o.databaseUrl, seed: o.seed, devices: o.devices, startMs: o.start,
    historyDays: o.historyDays, sim: o.sim, beforeRead: () => o.stack.gateway.flush(), logger: o.logger,
  })
  try {
    const pending = await company.historyPending()
    if (pending > 0) process.stderr.write(`business: simulating ${pending} days before the fleet starts (daily granularity; pipelines follow in the background)\n`)
    await company.runHistory('auto')
    const roster = await company.roster()
    const fleet = buildRosterFleet({ seed: o.seed, venues: roster })
    const accountOf = new Map(roster.map((v) => [v.venueId, v.accountId]))
    await writeFleetDimensions(client, fleet, { accountOf: (v) => accountOf.get(v) })
    await syncBusiness(company, client, company.startDay)
    const info = readStackInfo(o.dataDir)
    if (info !== undefined) writeStackInfo(o.dataDir, { ...info, businessUrl: await company.readerUrl() })
    const rate = (await company.business.state()).config.tapFailureRate
    const profiles = (await company.business.db.tx((c) => tapHazards(c, rate))).map((h) => ({
      deviceId: h.deviceId, profile: weakPoint(o.seed, h.deviceId), params: { hazard_per_day: h.perDay }, where: 'business hazard',
    }))
    const accounts = new Set(roster.map((v) => v.accountId)).size
    const summary = `${accounts} accounts own these taps; the business DAG closes each simulated day at midnight (${company.business.db.displayUrl})`
    return { company, fleet, accountOf, profiles, summary, ...follow(company, o, log, fleet, accountOf) }
  } catch (err) {
    await company.close()
    throw err
  }
}

function follow(company: Company, o: CompanyRunOptions, log: Logger, fleet: FleetSpec, accountOf: Map<string, string>): Pick<CompanyRun, 'attach' | 'close' | 'gate' | 'onDayClosed'> {
  const dayListeners: ((day: string) => Promise<void> | void)[] = []
  const client = o.stack.clickhouse.client
  let timer: NodeJS.Timeout | undefined
  let busy: Promise<void> | undefined
  let control: FleetControl | undefined
  let venueOf: Map<string, string> | undefined
  // The first day to close is the fleet's start day, when it ends.
  let nextClose = Math.floor(o.start / DAY_MS) * DAY_MS + DAY_MS
  let backfill: Promise<void> | undefined

  const apply = async (day: string, change: RosterChange): Promise<void> => {
    if (control === undefined) return
    if (change.installed.length > 0) {
      for (const v of change.installed) accountOf.set(v.venueId, v.accountId)
      const fresh = buildRosterFleet({ seed: o.seed, venues: change.installed })
      for (const d of fresh.devices) venueOf?.set(d.deviceId, d.venueId)
      await writeFleetDimensions(client, fresh, { accountOf: (v) => accountOf.get(v) })
      await control.install(fresh.devices, fresh.venues)
    }
    if (change.decommissioned.length > 0) {
      const gone = new Set(change.decommissioned)
      const specs = fleet.devices.filter((d) => gone.has(d.deviceId))
      control.decommission(change.decommissioned)
      await writeFleetDimensions(client, { ...fleet, venues: [], devices: specs }, { accountOf: (v) => accountOf.get(v), decommissionedAt: o.clock.now() })
    }
    const repaired = change.repaired.filter((id) => !change.decommissioned.includes(id))
    if (repaired.length > 0) await control.repair(repaired)
    await syncBusiness(company, client, day)
    log.info({ day, installed: change.installed.reduce((n, v) => n + v.devices.length, 0), decommissioned: change.decommissioned.length, repaired: repaired.length }, 'fleet follows the business')
  }

  /** Close every day whose end (plus grace) the simulated clock has passed, in order. */
  const closeDue = async (until: number, final = false): Promise<void> => {
    while (nextClose + (final ? 0 : CLOSE_GRACE_MS) <= until) {
      const day = new Date(nextClose - DAY_MS).toISOString().slice(0, 10)
      const t0 = performance.now()
      const change = await company.closeDay(day)
      if (change === undefined) log.warn({ day }, 'business already simulated this day (the data dir ran ahead of this fleet); telemetry not read')
      else await apply(day, change)
      log.info({ day, ms: Math.round(performance.now() - t0) }, 'business DAG ran at simulated midnight')
      nextClose += DAY_MS
      for (const listener of dayListeners) {
        await Promise.resolve()
          .then(() => listener(day))
          .catch((err: unknown) => log.error({ day, err: errorMessage(err) }, 'a day-closed listener failed'))
      }
    }
  }

  const tick = (): Promise<void> => {
    busy ??= closeDue(o.clock.now())
      .catch((err: unknown) => log.error({ err: errorMessage(err) }, 'business day failed; retried at the next tick'))
      .finally(() => (busy = undefined))
    return busy
  }

  return {
    onDayClosed(listener) {
      dayListeners.push(listener)
    },
    gate(transport) {
      if (o.clock.speed !== 'max') return transport
      const gated: DeviceTransport = {
        connect: (d) => transport.connect(d),
        publish: (f) => transport.publish(f),
        flush: () => transport.flush(),
        close: () => transport.close(),
        get stats() {
          return transport.stats
        },
        publishRecord: transport.publishRecord?.bind(transport),
        onCommand: transport.onCommand?.bind(transport),
        backpressure: () => transport.backpressure() ?? (control !== undefined && o.clock.now() >= nextClose + CLOSE_GRACE_MS ? tick() : undefined),
      }
      return gated
    },
    attach(ctl, vo) {
      control = ctl
      venueOf = vo
      timer = setInterval(() => void tick(), WATCH_MS)
      // The backfill waits for the fleet's first frames: thousands of device sessions connecting at start-up need
      // the CPU more (the first live pour on the dashboard is the first impression).
      backfill = fleetLanded(o.stack, () => control === undefined)
        .then(() => company.backfillHistory((day, left) => {
          if (left === 0) log.info({ day }, 'history pipelines backfilled')
        }))
        .catch((err: unknown) => log.debug({ err: errorMessage(err) }, 'history backfill stopped'))
    },
    async close() {
      if (timer !== undefined) clearInterval(timer)
      await busy
      control = undefined // the fleet has stopped: the last days are closed without changing it
      // Days that ended before the fleet stopped (within the grace) still get their DAG: their telemetry is all in.
      await closeDue(o.clock.now() + CLOSE_GRACE_MS, true).catch((err: unknown) => log.error({ err: errorMessage(err) }, 'closing the last business day failed'))
      await company.close()
      await backfill
    },
  }
}

/** Resolves once the gateway has taken a frame in, or when `stopped` says the fleet is gone. */
async function fleetLanded(stack: GatewayStack, stopped: () => boolean): Promise<void> {
  while (stack.gateway.stats.framesIn === 0 && !stopped()) await new Promise((r) => setTimeout(r, WATCH_MS))
}

/** Copy accounts and recent device tickets to ClickHouse for the dashboards. */
async function syncBusiness(company: Company, client: GatewayStack['clickhouse']['client'], since: string): Promise<void> {
  const db = company.business.db
  const accounts = await db.tx((c) => accountDimensions(c))
  const tickets = await db.tx((c) => ticketDimensions(c, since))
  await writeBusinessDimensions(client, accounts, tickets)
}
