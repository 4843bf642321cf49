/*
# Latest state per key from the CDC log (the cdc_latest macro: newest (_lsn, _seq) wins, deleted keys drop out).
tests:
  - not_null: [subscription_id]
  - unique: [subscription_id]
  - accepted_values: { column: tier, values: [starter, pro, enterprise] }
*/
{{ cdc_latest('raw', 'subscriptions', 'subscription_id') }}
