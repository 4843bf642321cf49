/*
# Latest state per key from the CDC log: the newest (_lsn, _seq) wins and deleted keys drop out.
tests:
  - not_null: [user_id]
  - unique: [user_id]
*/
SELECT * EXCEPT (_seq, _op)
FROM (
  SELECT * FROM {{ source('raw', 'users') }}
  ORDER BY user_id, _lsn DESC, _seq DESC
  LIMIT 1 BY user_id
)
WHERE _op != 'd'
