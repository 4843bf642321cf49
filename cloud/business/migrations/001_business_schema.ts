/** Business entities: customers, billing (Stripe's shape), sales, product usage (PostHog's shape), support. */
export const sql = `
CREATE TABLE sim_state (
  id int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  seed bigint NOT NULL,
  start_date date NOT NULL,
  last_day date,
  counters jsonb NOT NULL DEFAULT '{}',
  config jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE tiers (
  tier text PRIMARY KEY,
  price_per_tap_cents int NOT NULL,
  min_taps int NOT NULL
);
INSERT INTO tiers VALUES ('starter', 3900, 1), ('pro', 5900, 6), ('enterprise', 7900, 20);

CREATE TABLE campaigns (
  campaign_id text PRIMARY KEY,
  name text NOT NULL,
  channel text NOT NULL,
  start_day date NOT NULL,
  end_day date NOT NULL,
  daily_budget_cents bigint NOT NULL,
  efficiency double precision NOT NULL
);

CREATE TABLE customers (
  customer_id text PRIMARY KEY,
  name text NOT NULL,
  segment text NOT NULL,
  city text NOT NULL,
  created_day date NOT NULL,
  acquisition_channel text NOT NULL,
  campaign_id text REFERENCES campaigns
);

CREATE TABLE accounts (
  account_id text PRIMARY KEY,
  customer_id text NOT NULL REFERENCES customers,
  status text NOT NULL CHECK (status IN ('trial', 'active', 'past_due', 'churned')),
  created_day date NOT NULL,
  churned_day date,
  sales_rep text NOT NULL,
  engagement double precision NOT NULL,
  usage_score double precision NOT NULL DEFAULT 0.5,
  adoption double precision NOT NULL DEFAULT 0.3,
  failure_score double precision NOT NULL DEFAULT 0
);
CREATE INDEX accounts_status ON accounts (status);

CREATE TABLE account_status_changes (
  id bigint PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts,
  previous_status text NOT NULL,
  new_status text NOT NULL,
  change_day date NOT NULL,
  change_reason text NOT NULL,
  sales_rep text,
  contract_value_cents bigint
);
CREATE INDEX account_status_changes_account ON account_status_changes (account_id, id);
CREATE INDEX account_status_changes_day ON account_status_changes (change_day);

CREATE TABLE venues (
  venue_id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts,
  name text NOT NULL,
  city text NOT NULL,
  taps int NOT NULL,
  failure_rate double precision NOT NULL,
  opened_day date NOT NULL
);
CREATE INDEX venues_account ON venues (account_id);

CREATE TABLE trials (
  trial_id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts,
  started_day date NOT NULL,
  ends_day date NOT NULL,
  outcome text,
  outcome_day date
);
CREATE INDEX trials_open ON trials (ends_day) WHERE outcome IS NULL;

CREATE TABLE subscriptions (
  subscription_id text PRIMARY KEY,
  account_id text NOT NULL UNIQUE REFERENCES accounts,
  tier text NOT NULL REFERENCES tiers,
  licences int NOT NULL,
  mrr_cents bigint NOT NULL,
  status text NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
  started_day date NOT NULL,
  billing_anchor int NOT NULL,
  contract_start date NOT NULL,
  contract_value_cents bigint NOT NULL,
  canceled_day date
);

CREATE TABLE licence_changes (
  id bigint PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts,
  change_day date NOT NULL,
  change_type text NOT NULL CHECK (change_type IN ('new', 'expansion', 'contraction', 'churn', 'reactivation')),
  previous_licences int NOT NULL,
  new_licences int NOT NULL,
  previous_tier text,
  new_tier text,
  previous_mrr_cents bigint NOT NULL,
  new_mrr_cents bigint NOT NULL,
  mrr_delta_cents bigint NOT NULL
);
CREATE INDEX licence_changes_day ON licence_changes (change_day);

CREATE TABLE renewals (
  id bigint PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts,
  renewal_day date NOT NULL,
  previous_contract_value_cents bigint NOT NULL,
  new_contract_value_cents bigint NOT NULL,
  renewal_type text NOT NULL,
  contract_months int NOT NULL
);

-- Stripe-shaped billing: amounts in the smallest currency unit, created as timestamps.
CREATE TABLE invoices (
  id text PRIMARY KEY,
  customer text NOT NULL REFERENCES accounts (account_id),
  subscription text NOT NULL REFERENCES subscriptions,
  status text NOT NULL CHECK (status IN ('open', 'paid', 'uncollectible', 'void')),
  billing_reason text NOT NULL,
  currency text NOT NULL DEFAULT 'usd',
  amount_due bigint NOT NULL,
  amount_paid bigint NOT NULL DEFAULT 0,
  attempt_count int NOT NULL DEFAULT 0,
  next_payment_attempt timestamptz,
  period_start date NOT NULL,
  period_end date NOT NULL,
  created timestamptz NOT NULL
);
CREATE INDEX invoices_open ON invoices (next_payment_attempt) WHERE status = 'open';
CREATE INDEX invoices_period ON invoices (period_start);

CREATE TABLE charges (
  id text PRIMARY KEY,
  invoice text NOT NULL REFERENCES invoices,
  customer text NOT NULL,
  amount bigint NOT NULL,
  amount_refunded bigint NOT NULL DEFAULT 0,
  currency text NOT NULL DEFAULT 'usd',
  status text NOT NULL CHECK (status IN ('succeeded', 'failed')),
  paid boolean NOT NULL,
  failure_code text,
  failure_message text,
  created timestamptz NOT NULL
);
CREATE INDEX charges_created ON charges (created);

CREATE TABLE refunds (
  id text PRIMARY KEY,
  charge text NOT NULL REFERENCES charges,
  amount bigint NOT NULL,
  reason text NOT NULL,
  status text NOT NULL DEFAULT 'succeeded',
  created timestamptz NOT NULL
);

CREATE TABLE dunning_events (
  id bigint PRIMARY KEY,
  invoice text NOT NULL REFERENCES invoices,
  account_id text NOT NULL,
  step text NOT NULL,
  event_day date NOT NULL
);

-- The accounting system (general ledger), kept apart from billing so the two can be reconciled.
CREATE TABLE ledger_entries (
  id bigint PRIMARY KEY,
  entry_day date NOT NULL,
  gl_account text NOT NULL,
  source_ref text NOT NULL,
  amount_cents bigint NOT NULL
);
CREATE INDEX ledger_entries_day ON ledger_entries (entry_day);

CREATE TABLE expenses (
  id bigint PRIMARY KEY,
  expense_day date NOT NULL,
  category text NOT NULL,
  vendor text NOT NULL,
  amount_cents bigint NOT NULL,
  cost_breakdown jsonb
);
CREATE INDEX expenses_day ON expenses (expense_day);

CREATE TABLE teams (
  team_id text PRIMARY KEY,
  team_name text NOT NULL,
  function text NOT NULL,
  headcount int NOT NULL,
  salary_per_head_cents bigint NOT NULL
);

CREATE TABLE salary_payments (
  id bigint PRIMARY KEY,
  team_id text NOT NULL REFERENCES teams,
  salary_month date NOT NULL,
  headcount int NOT NULL,
  monthly_salary_total_cents bigint NOT NULL,
  UNIQUE (team_id, salary_month)
);

CREATE TABLE leads (
  lead_id text PRIMARY KEY,
  created_day date NOT NULL,
  campaign_id text REFERENCES campaigns,
  source text NOT NULL,
  company_name text NOT NULL,
  expected_taps int NOT NULL,
  stage text NOT NULL CHECK (stage IN ('new', 'qualified', 'demo', 'negotiation', 'won', 'lost')),
  stage_changed_day date NOT NULL,
  owner text NOT NULL,
  customer_id text
);
CREATE INDEX leads_open ON leads (lead_id) WHERE stage NOT IN ('won', 'lost');

CREATE TABLE lead_stage_changes (
  id bigint PRIMARY KEY,
  lead_id text NOT NULL REFERENCES leads,
  from_stage text,
  to_stage text NOT NULL,
  change_day date NOT NULL
);

CREATE TABLE users (
  user_id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts,
  email text NOT NULL,
  role text NOT NULL,
  created_day date NOT NULL,
  activity double precision NOT NULL
);
CREATE INDEX users_account ON users (account_id);

-- PostHog-shaped product events. received_at differs from timestamp for late arrivals.
CREATE TABLE events (
  id bigint PRIMARY KEY,
  event text NOT NULL,
  distinct_id text NOT NULL,
  properties jsonb NOT NULL,
  timestamp timestamptz NOT NULL,
  received_at timestamptz NOT NULL
);
CREATE INDEX events_timestamp ON events (timestamp);
CREATE INDEX events_received ON events (received_at);

CREATE TABLE device_failures (
  id bigint PRIMARY KEY,
  venue_id text NOT NULL REFERENCES venues,
  account_id text NOT NULL,
  device_id text NOT NULL,
  failure_day date NOT NULL,
  kind text NOT NULL,
  source text NOT NULL
);
CREATE INDEX device_failures_day ON device_failures (failure_day);

CREATE TABLE support_tickets (
  ticket_id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts,
  venue_id text,
  device_id text,
  category text NOT NULL,
  priority text NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'solved')),
  opened_day date NOT NULL,
  resolved_day date,
  difficulty double precision NOT NULL
);
CREATE INDEX support_tickets_open ON support_tickets (account_id) WHERE status = 'open';
`
