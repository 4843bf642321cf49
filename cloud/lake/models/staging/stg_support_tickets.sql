/*
# Latest state per key from the CDC log (the cdc_latest macro: newest (_lsn, _seq) wins, deleted keys drop out).
tests:
  - not_null: [ticket_id]
  - unique: [ticket_id]
*/
{{ cdc_latest('raw', 'support_tickets', 'ticket_id') }}
