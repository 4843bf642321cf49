import { m001 } from './001-telemetry-tables.js'
import { m002 } from './002-5-minute-device-rollups.js'
import { m003 } from './003-ground-truth.js'
import { m004 } from './004-seq-gaps-and-cellar-chillers.js'
import { m005 } from './005-dashboard-dimensions-and-rollups.js'
import { m006 } from './006-ground-truth-actor.js'
import { m007 } from './007-codecs-by-measurement-and-retention.js'
import { m008 } from './008-accounts-and-tickets.js'
import { m009 } from './009-predictions-alerts-product-events.js'
import { m010 } from './010-receive-delay.js'
import { m011 } from './011-sensor-steps.js'
import type { Migration } from './migration.js'

export type { Migration }

/** Every migration of database `tapflow`, in version order. */
export const MIGRATIONS: readonly Migration[] = [m001, m002, m003, m004, m005, m006, m007, m008, m009, m010, m011]
