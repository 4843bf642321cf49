/**
 * Days simulated without their pipelines (the history before the fleet starts, whose pipelines run in the
 * background): kept in the database, so a restart in the middle of that backfill resumes it instead of forgetting it.
 */
export const sql = `
CREATE TABLE backfill_pending (
  day date PRIMARY KEY
);
`
