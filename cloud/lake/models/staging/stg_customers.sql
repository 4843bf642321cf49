/*
# Latest state per key from the CDC log (the cdc_latest macro: newest (_lsn, _seq) wins, deleted keys drop out).
tests:
  - not_null: [customer_id]
  - unique: [customer_id]
  - accepted_values: { column: segment, values: [bar, restaurant, brewpub, hotel, chain] }
*/
{{ cdc_latest('raw', 'customers', 'customer_id') }}
