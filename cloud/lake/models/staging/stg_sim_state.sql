/*
# Latest state per key from the CDC log: the newest (_lsn, _seq) wins and deleted keys drop out.
tests:
  - not_null: [id]
  - unique: [id]
*/
SELECT * EXCEPT (_seq, _op)
FROM (
  SELECT * FROM {{ source('raw', 'sim_state') }}
  ORDER BY id, _lsn DESC, _seq DESC
  LIMIT 1 BY id
)
WHERE _op != 'd'
