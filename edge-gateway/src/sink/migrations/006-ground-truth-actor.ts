import type { Migration } from './migration.js'

export const m006: Migration = {
  version: 6,
  name: 'ground truth actor',
  statements: [
    // Who caused the record: the tool identity behind the fleet command (FleetService call), '' for manifest,
    // hazard draws and firmware booted at start. Appended last, so the insert column order only grows.
    `ALTER TABLE tapflow.ground_truth ADD COLUMN IF NOT EXISTS actor LowCardinality(String) DEFAULT ''`,
  ],
}
