/*
# Latest state per key from the CDC log: the newest (_lsn, _seq) wins and deleted keys drop out.
tests:
  - not_null: [subscription_id]
  - unique: [subscription_id]
  - accepted_values: { column: tier, values: [starter, pro, enterprise] }
*/
SELECT * EXCEPT (_seq, _op)
FROM (
  SELECT * FROM {{ source('raw', 'subscriptions') }}
  ORDER BY subscription_id, _lsn DESC, _seq DESC
  LIMIT 1 BY subscription_id
)
WHERE _op != 'd'
