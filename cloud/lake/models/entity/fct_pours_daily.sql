/*
# Daily pours and revenue per venue and beverage (revenue = litres × the beverage's list price per litre).
partition_by: toRelativeDayNum(day)
tests:
  - not_null: [day, venue_id, beverage_id, pours]
*/
SELECT toDate(p.ts) AS day, p.venue_id AS venue_id, p.beverage_id AS beverage_id,
       count() AS pours, sum(p.volume_ml) / 1000 AS litres, sum(p.waste_ml) / 1000 AS waste_litres,
       round(sum(p.volume_ml) / 1000 * any(b.price_per_litre), 2) AS revenue
FROM {{ ref('stg_pours') }} AS p
LEFT JOIN {{ ref('stg_beverages') }} AS b ON b.beverage_id = p.beverage_id
GROUP BY day, venue_id, beverage_id
