/*
# Latest state per key from the CDC log (the cdc_latest macro: newest (_lsn, _seq) wins, deleted keys drop out).
tests:
  - not_null: [venue_id]
  - unique: [venue_id]
  - relationships: { column: account_id, to: stg_accounts, field: account_id }
*/
{{ cdc_latest('raw', 'venues', 'venue_id') }}
