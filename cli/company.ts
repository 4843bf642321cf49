import { errorMessage, type Logger } from '../common/index.js'
import { accountDimensions, LeadSink, openCompany, tapHazards, ticketDimensions, weakPoint, type Company, type RosterChange, type SimConfig } from '../cloud/index.js'
import { writeBusinessDimensions, writeFleetDimensions } from '../dashboards/index.js'
import { buildRosterFleet, expectedTapPours, type DeviceSpec, type DeviceTransport, type FleetControl, type FleetSpec, type ProfileAssignment, type SimClock } from '../firmware-sim/index.js'
import { readStackInfo, writeStackInfo } from './stack-file.js'
import type { GatewayStack } from './stack.js'

const DAY_MS = 86_400_000
/** Simulated time after midnight before the day is closed: frames of the last minutes are in by then. */
const CLOSE_GRACE_MS = 5 * 60_000
/** How often the midnight watch looks at the simulated clock, real ms. */
const WATCH_MS = 250

export interface CompanyRunOptions {
  /** The gateway stack, or a promise of it: PostgreSQL and the history start while the stack does. */
  stack: GatewayStack | Promise<GatewayStack>
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
  /** Demo requests from the website into the business's leads: the capture endpoint's `onDemandRequest`. */
  readonly leads: LeadSink
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
   * pass through: there the DAG runs in the seconds a simulated day leaves it. Up to EARLY_START_MAX_SPEED, the
   * fleet starts once its first sessions are up, and the other taps publish as theirs connect.
   */
  gate(transport: DeviceTransport): DeviceTransport
  /**
   * Run `listener` after each simulated day's DAG has closed the day (the lake rebuilds its models, the feature
   * store materializes). Listeners run in order, in the DAG's lane; one that fails is logged, the others still run.
   */
  onDayClosed(listener: (day: string) => Promise<void> | void): void
  /**
   * Resolves once the gateway has taken in the fleet's first frame (or once closing): what waits for it (the OPC-UA
   * chillers) leaves the CPU to the first live pour. The history backfill also waits for every device session.
   */
  started(): Promise<void>
  /** Close every day that has fully ended, then stop. */
  close(): Promise<void>
}

/**
 * Starts the gateway stack and, beside it, the company when `company` is given: embedded PostgreSQL and the history
 * simulation overlap ClickHouse, the broker and the gateway, the slowest parts of `tapflow up`'s start. If either
 * fails, the other is closed before the error is thrown.
 */
export async function startStackAndCompany(stackStarting: Promise<GatewayStack>, company: Omit<CompanyRunOptions, 'stack'> | undefined): Promise<{ stack: GatewayStack; company: CompanyRun | undefined }> {
  const companyStarting = company === undefined ? undefined : startCompany({ ...company, stack: stackStarting })
  let stack: GatewayStack
  try {
    stack = await stackStarting
  } catch (err) {
    // The company closes itself once it sees the stack fail: wait for that, so no PostgreSQL is left running.
    await companyStarting?.catch(() => undefined)
    throw err
  }
  try {
    return { stack, company: await companyStarting }
  } catch (err) {
    await stack.close().catch(() => undefined)
    throw err
  }
}

/** Opens the business, simulates its history before the fleet starts, and returns the fleet it owns. */
export async function startCompany(o: CompanyRunOptions): Promise<CompanyRun> {
  const log = o.logger.child({ component: 'company' })
  const stackReady = Promise.resolve(o.stack)
  const clickhouse = stackReady.then((s) => s.clickhouse.client)
  clickhouse.catch(() => undefined) // a stack that fails to start is reported where it is awaited below
  const company = await openCompany({
    clickhouse, dataDir: o.dataDir, databaseUrl: o.databaseUrl, seed: o.seed, devices: o.devices, startMs: o.start,
    historyDays: o.historyDays, sim: o.sim, websiteEvents: true, beforeRead: async () => (await stackReady).gateway.flush(), logger: o.logger,
  })
  try {
    const pending = await company.historyPending()
    if (pending > 0) process.stderr.write(`business: simulating ${pending} days before the fleet starts (daily granularity; pipelines follow in the background)\n`)
    await company.runHistory('auto')
    const roster = await company.roster()
    const fleet = buildRosterFleet({ seed: o.seed, venues: roster })
    const accountOf = new Map(roster.map((v) => [v.venueId, v.accountId]))
    const stack = await stackReady
    const client = stack.clickhouse.client
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
    const leads = new LeadSink({ db: company.business.db })
    return { company, leads, fleet, accountOf, profiles, summary, ...follow(company, { ...o, stack }, log, fleet, accountOf) }
  } catch (err) {
    await company.close()
    throw err
  }
}

function follow(company: Company, o: CompanyRunOptions & { stack: GatewayStack }, log: Logger, fleet: FleetSpec, accountOf: Map<string, string>): Pick<CompanyRun, 'attach' | 'close' | 'gate' | 'onDayClosed' | 'started'> {
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

  let sessionsUp = (): Promise<void> => Promise.resolve()
  let closed = false
  const started = (): Promise<void> => fleetLanded(o.stack, () => closed)
  return {
    started,
    onDayClosed(listener) {
      dayListeners.push(listener)
    },
    gate(transport) {
      if (o.clock.speed !== 'max') {
        if (o.clock.speed > EARLY_START_MAX_SPEED) return transport
        // The taps due to pour soonest connect first: their venues are open now.
        const venues = new Map(fleet.venues.map((v) => [v.venueId, v]))
        const now = o.clock.now()
        const dayStart = Math.floor(now / DAY_MS) * DAY_MS
        const soon = (d: DeviceSpec): number => {
          const v = venues.get(d.venueId)
          return v === undefined ? 0 : expectedTapPours(v, d, dayStart, now, Math.min(dayStart + DAY_MS, now + SOON_MS))
        }
        const early = publishAsConnected(transport, log, soon)
        sessionsUp = () => early.allConnected()
        return early
      }
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
      // The backfill waits for the start-up rush: thousands of device sessions connecting need the CPU more (the
      // first live pour on the dashboard is the first impression).
      backfill = started()
        .then(() => sessionsUp())
        .then(() => company.backfillHistory((day, left) => {
          if (left === 0) log.info({ day }, 'history pipelines backfilled')
        }))
        .catch((err: unknown) => log.debug({ err: errorMessage(err) }, 'history backfill stopped'))
    },
    async close() {
      closed = true
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

/** Sessions the fleet waits for before simulated time starts; the others connect in chunks of this size behind it. */
const FIRST_SESSIONS = 250
/**
 * Fastest --speed at which the fleet starts before every session is up. A tap's frames wait for its session, so they
 * land late by the connect time × speed: seconds at speed 1; at much higher speeds the lateness would read as an outage.
 */
const EARLY_START_MAX_SPEED = 10
/** How far ahead the first sessions are chosen by their expected pours (simulated ms). */
const SOON_MS = 10 * 60_000

/**
 * The first impression of `tapflow up`: thousands of device sessions take many seconds to connect, and the fleet used
 * to wait for the last one before its first pour. Here the first `connect` returns once FIRST_SESSIONS are up; the
 * rest connect in the background, and a tap's frames are held, in order, until its session is up. `priority` (higher
 * first; default: the given order) picks who connects first. Later connects (installs) wait as before; `flush` first
 * waits for the background connects, so no held frame is left behind; `close` stops them. A session that fails to
 * connect fails the next publish, which stops the fleet as a failed connect did.
 */
export function publishAsConnected(inner: DeviceTransport, log: Logger, priority?: (d: DeviceSpec) => number): DeviceTransport & { allConnected(): Promise<void> } {
  type Frame = Parameters<DeviceTransport['publish']>[0]
  const held = new Map<string, Frame[]>()
  let first = true
  let background: Promise<void> = Promise.resolve()
  let failure: unknown
  let closing = false
  const release = (ids: readonly string[]): void => {
    for (const id of ids) {
      const frames = held.get(id) ?? []
      held.delete(id)
      for (const f of frames) inner.publish(f)
    }
  }
  return {
    /** Resolves once the sessions the first connect left to the background are up (or failed). */
    allConnected: () => background,
    async connect(devices) {
      if (!first) return inner.connect(devices)
      first = false
      const ordered = priority === undefined ? devices : devices.map((d) => [d, priority(d)] as const).sort((a, b) => b[1] - a[1]).map(([d]) => d)
      const rest = ordered.slice(FIRST_SESSIONS)
      for (const d of rest) held.set(d.deviceId, [])
      await inner.connect(ordered.slice(0, FIRST_SESSIONS))
      background = (async () => {
        const t0 = performance.now()
        for (let i = 0; i < rest.length && !closing; i += FIRST_SESSIONS) {
          const chunk = rest.slice(i, i + FIRST_SESSIONS)
          await inner.connect(chunk)
          release(chunk.map((d) => d.deviceId))
        }
        if (rest.length > 0 && !closing) log.info({ devices: rest.length, ms: Math.round(performance.now() - t0) }, 'the other device sessions connected while the fleet ran')
      })().catch((err: unknown) => {
        failure = err
      })
    },
    publish(f) {
      // A session that could not connect stops the fleet, as a failed connect before the start does.
      if (failure !== undefined) throw failure
      const h = held.get(f.deviceId)
      if (h === undefined) inner.publish(f)
      else h.push(f)
    },
    backpressure: () => inner.backpressure(),
    async flush() {
      await background
      await inner.flush()
    },
    async close() {
      // Stopping while sessions connect: the chunk under way finishes (a session mid-connect would outlive the
      // close), the rest never connect, and their held frames, never sent, are dropped.
      closing = true
      await background
      held.clear()
      await inner.close()
    },
    get stats() {
      return inner.stats
    },
    publishRecord: inner.publishRecord?.bind(inner),
    onCommand: inner.onCommand?.bind(inner),
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
