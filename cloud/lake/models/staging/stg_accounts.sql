/*
# Latest state per key from the CDC log: the newest (_lsn, _seq) wins and deleted keys drop out.
tests:
  - not_null: [account_id]
  - unique: [account_id]
  - accepted_values: { column: status, values: [trial, active, past_due, churned] }
  - relationships: { column: customer_id, to: stg_customers, field: customer_id }
*/
SELECT * EXCEPT (_seq, _op)
FROM (
  SELECT * FROM {{ source('raw', 'accounts') }}
  ORDER BY account_id, _lsn DESC, _seq DESC
  LIMIT 1 BY account_id
)
WHERE _op != 'd'
