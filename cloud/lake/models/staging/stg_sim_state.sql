/*
# Latest state per key from the CDC log (the cdc_latest macro: newest (_lsn, _seq) wins, deleted keys drop out).
tests:
  - not_null: [id]
  - unique: [id]
*/
{{ cdc_latest('raw', 'sim_state', 'id') }}
