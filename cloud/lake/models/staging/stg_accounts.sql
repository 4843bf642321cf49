/*
# Latest state per key from the CDC log (the cdc_latest macro: newest (_lsn, _seq) wins, deleted keys drop out).
tests:
  - not_null: [account_id]
  - unique: [account_id]
  - accepted_values: { column: status, values: [trial, active, past_due, churned] }
  - relationships: { column: customer_id, to: stg_customers, field: customer_id }
*/
{{ cdc_latest('raw', 'accounts', 'account_id') }}
