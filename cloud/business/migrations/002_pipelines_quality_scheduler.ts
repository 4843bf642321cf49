/** Pipeline outputs, data-quality results and scheduler run history. */
export const sql = `
CREATE TABLE pipeline_profit_monthly (
  month date PRIMARY KEY,
  revenue_cents bigint NOT NULL,
  refunds_cents bigint NOT NULL,
  net_revenue_cents bigint NOT NULL,
  infrastructure_cents bigint NOT NULL,
  marketing_cents bigint NOT NULL,
  other_expenses_cents bigint NOT NULL,
  salaries_cents bigint NOT NULL,
  gross_profit_cents bigint NOT NULL,
  net_profit_cents bigint NOT NULL,
  data_through date NOT NULL
);

CREATE TABLE pipeline_growth_daily (
  day date PRIMARY KEY,
  status_changes jsonb NOT NULL,
  licence_changes int NOT NULL,
  licences_added int NOT NULL,
  licences_removed int NOT NULL,
  renewals int NOT NULL
);

CREATE TABLE pipeline_growth_monthly (
  month date PRIMARY KEY,
  start_mrr_cents bigint NOT NULL,
  new_mrr_cents bigint NOT NULL,
  expansion_mrr_cents bigint NOT NULL,
  contraction_mrr_cents bigint NOT NULL,
  churned_mrr_cents bigint NOT NULL,
  reactivation_mrr_cents bigint NOT NULL,
  end_mrr_cents bigint NOT NULL,
  start_customers int NOT NULL,
  new_customers int NOT NULL,
  churned_customers int NOT NULL,
  end_customers int NOT NULL,
  renewals int NOT NULL,
  nrr double precision,
  grr double precision,
  data_through date NOT NULL
);

-- One row per user per day with activity: the base for DAU/WAU without rescanning raw events.
CREATE TABLE pipeline_engagement_user_daily (
  day date NOT NULL,
  distinct_id text NOT NULL,
  account_id text,
  events int NOT NULL,
  sessions int NOT NULL,
  session_minutes double precision NOT NULL,
  PRIMARY KEY (day, distinct_id)
);

CREATE TABLE pipeline_engagement_daily (
  day date PRIMARY KEY,
  dau int NOT NULL,
  wau int NOT NULL,
  sessions int NOT NULL,
  avg_session_minutes double precision NOT NULL,
  events int NOT NULL
);

CREATE TABLE pipeline_engagement_account_daily (
  day date NOT NULL,
  account_id text NOT NULL,
  active_users int NOT NULL,
  session_minutes double precision NOT NULL,
  feature_usage jsonb NOT NULL,
  PRIMARY KEY (day, account_id)
);

CREATE TABLE pipeline_investor_monthly (
  month date PRIMARY KEY,
  metrics jsonb NOT NULL,
  data_through date NOT NULL
);

CREATE TABLE pipeline_freshness (
  pipeline text PRIMARY KEY,
  data_through date NOT NULL,
  refreshed_sim_day date NOT NULL
);

CREATE TABLE dq_results (
  id bigserial PRIMARY KEY,
  check_name text NOT NULL,
  pipeline text NOT NULL,
  sim_day date NOT NULL,
  status text NOT NULL CHECK (status IN ('pass', 'warn', 'fail')),
  observed double precision NOT NULL,
  threshold double precision NOT NULL,
  message text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}',
  checked_at timestamptz NOT NULL
);
CREATE INDEX dq_results_day ON dq_results (sim_day, check_name);

CREATE TABLE scheduler_runs (
  run_id bigserial PRIMARY KEY,
  sim_day date NOT NULL,
  kind text NOT NULL CHECK (kind IN ('daily', 'backfill')),
  status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  started_at timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE INDEX scheduler_runs_day ON scheduler_runs (sim_day);

CREATE TABLE scheduler_task_runs (
  id bigserial PRIMARY KEY,
  run_id bigint NOT NULL REFERENCES scheduler_runs,
  task text NOT NULL,
  status text NOT NULL CHECK (status IN ('succeeded', 'failed', 'skipped')),
  attempt int NOT NULL,
  started_at timestamptz NOT NULL,
  duration_ms double precision NOT NULL,
  error text
);
CREATE INDEX scheduler_task_runs_run ON scheduler_task_runs (run_id);
`
