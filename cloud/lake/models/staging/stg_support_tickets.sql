/*
# Latest state per key from the CDC log: the newest (_lsn, _seq) wins and deleted keys drop out.
tests:
  - not_null: [ticket_id]
  - unique: [ticket_id]
*/
SELECT * EXCEPT (_seq, _op)
FROM (
  SELECT * FROM {{ source('raw', 'support_tickets') }}
  ORDER BY ticket_id, _lsn DESC, _seq DESC
  LIMIT 1 BY ticket_id
)
WHERE _op != 'd'
