/**
 * One company: the fleet is the installed base. Venues and taps carry the fleet's ids (`ven-0001`,
 * `tap-0001-01`); every day is marked by where its device data came from (the daily model before the fleet
 * started, measured telemetry after); venue usage and account health are kept per day.
 */
export const sql = `
ALTER TABLE sim_state ADD COLUMN telemetry_from date;

ALTER TABLE venues ADD COLUMN next_line int NOT NULL DEFAULT 1;
-- The venue's taps in service, comma-separated, kept with the venue so the daily step loads them in one cheap read
-- (devices holds the history).
ALTER TABLE venues ADD COLUMN live_devices text NOT NULL DEFAULT '';

CREATE TABLE devices (
  device_id text PRIMARY KEY,
  venue_id text NOT NULL REFERENCES venues,
  account_id text NOT NULL REFERENCES accounts,
  line_id int NOT NULL,
  firmware text NOT NULL,
  installed_day date NOT NULL,
  decommissioned_day date
);
CREATE INDEX devices_venue ON devices (venue_id);
CREATE INDEX devices_live ON devices (account_id) WHERE decommissioned_day IS NULL;

-- 'simulated_daily': the daily model (expected pours, failure hazards); 'measured': read from ClickHouse telemetry.
CREATE TABLE sim_days (
  day date PRIMARY KEY,
  source text NOT NULL CHECK (source IN ('simulated_daily', 'measured'))
);

-- Fact tables written every day: no foreign keys or secondary indexes, which cost more than the rows themselves.
CREATE TABLE venue_days (
  venue_id text NOT NULL,
  day date NOT NULL,
  account_id text NOT NULL,
  live_taps int NOT NULL,
  pours int NOT NULL,
  litres double precision NOT NULL,
  revenue_at_venue_cents bigint NOT NULL,
  expected_pours double precision NOT NULL,
  downtime_minutes double precision NOT NULL,
  source text NOT NULL,
  PRIMARY KEY (venue_id, day)
);

CREATE TABLE account_health (
  account_id text NOT NULL,
  day date NOT NULL,
  health double precision NOT NULL,
  usage_ratio double precision NOT NULL,
  downtime_minutes double precision NOT NULL,
  open_tickets int NOT NULL,
  churn_odds double precision NOT NULL,
  expansion_odds double precision NOT NULL,
  source text NOT NULL,
  PRIMARY KEY (account_id, day)
);

ALTER TABLE accounts ADD COLUMN health double precision NOT NULL DEFAULT 1;
ALTER TABLE accounts ADD COLUMN usage_ratio double precision NOT NULL DEFAULT 1;
ALTER TABLE accounts ADD COLUMN downtime_score double precision NOT NULL DEFAULT 0;

ALTER TABLE device_failures ADD COLUMN evidence text;
ALTER TABLE support_tickets ADD COLUMN fault_kind text;
ALTER TABLE support_tickets ADD COLUMN source text;
CREATE INDEX support_tickets_device ON support_tickets (device_id) WHERE status = 'open';
`
