/*
# Latest state per key from the CDC log: the newest (_lsn, _seq) wins and deleted keys drop out.
tests:
  - not_null: [customer_id]
  - unique: [customer_id]
  - accepted_values: { column: segment, values: [bar, restaurant, brewpub, hotel, chain] }
*/
SELECT * EXCEPT (_seq, _op)
FROM (
  SELECT * FROM {{ source('raw', 'customers') }}
  ORDER BY customer_id, _lsn DESC, _seq DESC
  LIMIT 1 BY customer_id
)
WHERE _op != 'd'
