/** Small SQL helpers for feature definitions: every ratio is NULL on an empty window, never NaN or Inf. */

/** `a / b`, or NULL when `b` is 0. */
export function ratio(a: string, b: string): string {
  return `if((${b}) = 0, NULL, (${a}) / (${b}))`
}

/** Least-squares slope of y over t from windowed sums (n, Σt, Σy, Σt², Σty), NULL under two points. */
export function slope(n: string, t: string, y: string, tt: string, ty: string, scale: number): string {
  const den = `(toFloat64(${n}) * toFloat64(${tt}) - toFloat64(${t}) * toFloat64(${t}))`
  const num = `(toFloat64(${n}) * toFloat64(${ty}) - toFloat64(${t}) * toFloat64(${y}))`
  return `if(${n} < 2 OR ${den} = 0, NULL, ${num} / ${den} * ${scale})`
}

/** Integer fixed-point of a float column: `round(x * scale)` as Int64, so sums are exact. */
export function fixed(col: string, scale: number): string {
  return `toInt64(round(toFloat64(${col}) * ${scale}))`
}

/** Millisecond range filter on a DateTime64 column, for the source queries' `{from}`/`{to}` placeholders. */
export function inRange(col: string): string {
  return `${col} > fromUnixTimestamp64Milli(toInt64({from}), 'UTC') AND ${col} <= fromUnixTimestamp64Milli(toInt64({to}), 'UTC')`
}

/** A string literal for ClickHouse. */
export function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}
