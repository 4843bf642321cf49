/*
# Latest state per key from the CDC log: the newest (_lsn, _seq) wins and deleted keys drop out.
tests:
  - not_null: [venue_id]
  - unique: [venue_id]
  - relationships: { column: account_id, to: stg_accounts, field: account_id }
*/
SELECT * EXCEPT (_seq, _op)
FROM (
  SELECT * FROM {{ source('raw', 'venues') }}
  ORDER BY venue_id, _lsn DESC, _seq DESC
  LIMIT 1 BY venue_id
)
WHERE _op != 'd'
