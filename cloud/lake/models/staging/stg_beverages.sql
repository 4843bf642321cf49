/*
tests:
  - not_null: [beverage_id, price_per_litre]
  - unique: [beverage_id]
*/
SELECT beverage_id, name, style, abv, price_per_litre, updated_at
FROM {{ source('raw', 'fleet_beverages') }}
ORDER BY beverage_id, updated_at DESC
LIMIT 1 BY beverage_id
