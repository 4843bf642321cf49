/*
# Latest state per key from the CDC log (the cdc_latest macro: newest (_lsn, _seq) wins, deleted keys drop out).
tests:
  - not_null: [user_id]
  - unique: [user_id]
*/
{{ cdc_latest('raw', 'users', 'user_id') }}
