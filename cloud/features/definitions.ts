import type { DerivedFeature, Entity, Feature, FeatureType, FeatureView } from './types.js'
import { fixed, inRange, ratio, slope } from './sql.js'
import { BUSINESS_VIEWS } from './business-views.js'

/** Feature definitions as code: the catalogue in the README is generated from this file. */

const H = 3_600_000
const D = 24 * H
const OWNER = 'ml-platform@tapflow'

export const ENTITIES: readonly Entity[] = [
  { name: 'device', joinKey: 'device_id', description: 'A smart tap (one beer line), e.g. tap-0001-01' },
  { name: 'venue', joinKey: 'venue_id', description: 'A bar or restaurant with taps, e.g. ven-0001' },
  { name: 'customer', joinKey: 'account_id', description: 'A business account, which owns venues and their taps, e.g. acc-00001' },
]

const f = (name: string, type: FeatureType, description: string, sql: string): Feature => ({ name, type, description, sql })

/** One row per (device, ts) of pours: the latest keg level and exact integer sums for windows. */
const devicePours: FeatureView = {
  name: 'device_pours', entity: 'device', owner: OWNER, version: 1, ttlMs: 7 * D,
  description: 'Pour volume, flow, foam and waste per tap', source: 'tapflow.pours',
  // `*` leaves out ALIAS columns: the sensor values are ALIASes of their step counts (edge-gateway migration 11).
  sourceSql: `SELECT device_id AS entity_id, toUnixTimestamp64Milli(ts) AS ts_ms, seq AS __order, *, volume_ml, flow_rate_ml_s, foam_ratio, waste_ml, keg_remaining_ml, beverage_temp_c
    FROM {db}.pours FINAL WHERE device_id IN {entities} AND ${inRange('ts')}`,
  values: { keg_remaining: 'toFloat64(keg_remaining_ml)', last_volume: 'toFloat64(volume_ml)' },
  sums: {
    n: 'toInt64(1)', vol: fixed('volume_ml', 1000), dur: 'toInt64(duration_ms)', flow: fixed('flow_rate_ml_s', 1000),
    foam: fixed('foam_ratio', 1e6), waste: fixed('waste_ml', 1000), btemp: fixed('beverage_temp_c', 1000),
  },
  windows: { '1h': H, '24h': D, '7d': 7 * D },
  features: [
    f('pour_count_1h', 'int64', 'Pours in the last hour', 'n__1h'),
    f('pour_count_24h', 'int64', 'Pours in the last 24 h', 'n__24h'),
    f('pour_count_7d', 'int64', 'Pours in the last 7 days', 'n__7d'),
    f('pour_volume_ml_24h', 'float64', 'Volume poured in the last 24 h (ml)', 'vol__24h / 1000'),
    f('avg_pour_size', 'float64', 'Mean pour volume over the last 24 h (ml)', ratio('vol__24h / 1000', 'n__24h')),
    f('avg_pour_size_7d', 'float64', 'Mean pour volume over the last 7 days (ml)', ratio('vol__7d / 1000', 'n__7d')),
    f('avg_pour_duration_ms_24h', 'float64', 'Mean valve-open time per pour, 24 h (ms)', ratio('dur__24h', 'n__24h')),
    f('flow_rate_avg_1h', 'float64', 'Mean flow rate over the last hour (ml/s)', ratio('flow__1h / 1000', 'n__1h')),
    f('flow_rate_avg_24h', 'float64', 'Mean flow rate over the last 24 h (ml/s)', ratio('flow__24h / 1000', 'n__24h')),
    f('flow_rate_baseline_7d', 'float64', 'The tap\'s own flow-rate baseline: mean over 7 days (ml/s)', ratio('flow__7d / 1000', 'n__7d')),
    f('flow_rate_drift_24h', 'float64', 'Relative drift of the 24 h flow rate against the 7-day baseline',
      `${ratio('flow__24h * n__7d', 'flow__7d * n__24h')} - 1`),
    f('flow_rate_drift_1h', 'float64', 'Relative drift of the 1 h flow rate against the 7-day baseline',
      `${ratio('flow__1h * n__7d', 'flow__7d * n__1h')} - 1`),
    f('foam_ratio_avg_24h', 'float64', 'Mean foam share of pours, 24 h (0..1)', ratio('foam__24h / 1e6', 'n__24h')),
    f('foam_ratio_avg_7d', 'float64', 'Mean foam share of pours, 7 days (0..1)', ratio('foam__7d / 1e6', 'n__7d')),
    f('foam_ratio_drift_24h', 'float64', '24 h foam share minus the 7-day foam share',
      `${ratio('foam__24h / 1e6', 'n__24h')} - ${ratio('foam__7d / 1e6', 'n__7d')}`),
    f('waste_ml_24h', 'float64', 'Volume lost to foam and spillage, 24 h (ml)', 'waste__24h / 1000'),
    f('waste_ratio_24h', 'float64', 'Waste over poured volume, 24 h', ratio('waste__24h', 'vol__24h')),
    f('waste_ratio_7d', 'float64', 'Waste over poured volume, 7 days', ratio('waste__7d', 'vol__7d')),
    f('beverage_temp_avg_24h', 'float64', 'Mean beverage temperature at the tap while pouring, 24 h (°C)', ratio('btemp__24h / 1000', 'n__24h')),
    f('keg_remaining_ml', 'float64', 'Keg level after the latest pour (ml)', 'keg_remaining'),
    f('last_pour_volume_ml', 'float64', 'Volume of the latest pour (ml)', 'last_volume'),
    f('hours_since_last_pour', 'float64', 'Hours from the latest pour to the row\'s timestamp', '(__row_ts - __event_ts) / 3600000'),
  ],
}

/**
 * Line temperature sums in centi-degrees, time in minutes since 2024, for exact windowed means, variances and
 * slopes in Int64: Σt² over a query's range stays below 2^63 up to ~10^6 readings per tap (2 years at one a minute).
 */
const T_MIN = 'intDiv(toUnixTimestamp64Milli(ts) - 1704067200000, 60000)'
const Y = fixed('line_temp_c', 100)
const deviceTemperatures: FeatureView = {
  name: 'device_temperatures', entity: 'device', owner: OWNER, version: 1, ttlMs: D,
  description: 'Line, keg and ambient temperatures per tap: levels, variances and trends', source: 'tapflow.temperatures',
  sourceSql: `SELECT device_id AS entity_id, toUnixTimestamp64Milli(ts) AS ts_ms, seq AS __order, *, line_temp_c, keg_temp_c, ambient_temp_c
    FROM {db}.temperatures FINAL WHERE device_id IN {entities} AND ${inRange('ts')}`,
  values: { line: 'toFloat64(line_temp_c)', keg: 'toFloat64(keg_temp_c)', ambient: 'toFloat64(ambient_temp_c)' },
  sums: {
    tn: 'toInt64(1)', tt: `toInt64(${T_MIN})`, ty: Y, ttt: `toInt64(${T_MIN}) * toInt64(${T_MIN})`, tyy: `${Y} * ${Y}`,
    tty: `toInt64(${T_MIN}) * ${Y}`, tk: fixed('keg_temp_c', 100), ta: fixed('ambient_temp_c', 100), twarm: 'toInt64(line_temp_c > 6)',
  },
  windows: { '1h': H, '6h': 6 * H, '24h': D, '7d': 7 * D },
  features: [
    f('line_temp_c', 'float64', 'Latest line (python) temperature (°C)', 'line'),
    f('keg_temp_c', 'float64', 'Latest keg / cold-room temperature (°C)', 'keg'),
    f('ambient_temp_c', 'float64', 'Latest bar air temperature (°C)', 'ambient'),
    ...(['1h', '24h', '7d'] as const).map((w) =>
      f(`line_temp_avg_${w}`, 'float64', `Mean line temperature over ${w} (°C)`, ratio(`ty__${w} / 100`, `tn__${w}`))),
    f('temperature_variance', 'float64', 'Variance of the line temperature over 24 h (°C²)',
      ratio(`toFloat64(tyy__24h) * tn__24h - toFloat64(ty__24h) * ty__24h`, 'toFloat64(tn__24h) * tn__24h * 10000')),
    f('temperature_variance_7d', 'float64', 'Variance of the line temperature over 7 days (°C²)',
      ratio(`toFloat64(tyy__7d) * tn__7d - toFloat64(ty__7d) * ty__7d`, 'toFloat64(tn__7d) * tn__7d * 10000')),
    ...(['1h', '6h', '24h', '7d'] as const).map((w) =>
      f(`line_temp_slope_${w}`, 'float64', `Least-squares trend of the line temperature over ${w} (°C per hour)`,
        slope(`tn__${w}`, `tt__${w}`, `ty__${w}`, `ttt__${w}`, `tty__${w}`, 0.6))),
    f('line_temp_delta_24h_vs_7d', 'float64', '24 h mean line temperature minus the 7-day mean (°C)',
      `${ratio('ty__24h / 100', 'tn__24h')} - ${ratio('ty__7d / 100', 'tn__7d')}`),
    f('keg_temp_avg_24h', 'float64', 'Mean keg temperature over 24 h (°C)', ratio('tk__24h / 100', 'tn__24h')),
    f('ambient_temp_avg_24h', 'float64', 'Mean ambient temperature over 24 h (°C)', ratio('ta__24h / 100', 'tn__24h')),
    f('line_minus_keg_temp_24h', 'float64', 'Mean line minus keg temperature over 24 h: heat picked up in the line (°C)',
      ratio('(ty__24h - tk__24h) / 100', 'tn__24h')),
    f('warm_line_share_24h', 'float64', 'Share of readings with the line above 6 °C, 24 h', ratio('twarm__24h', 'tn__24h')),
  ],
}

const deviceHealth: FeatureView = {
  name: 'device_health', entity: 'device', owner: OWNER, version: 1, ttlMs: D,
  description: 'Firmware, radio, power, valve and error health per tap', source: 'tapflow.health',
  sourceSql: `SELECT h.device_id AS entity_id, toUnixTimestamp64Milli(h.ts) AS ts_ms, h.seq AS __order, h.*, h.supply_voltage_v AS supply_voltage_v, fl.first_seen_ts AS first_seen_ts
    FROM {db}.health AS h FINAL
    -- First frame ever seen with a version: no later frame can move a minimum that is already at or before ts.
    LEFT JOIN (SELECT device_id, toString(firmware_version) AS firmware, toUnixTimestamp64Milli(min(ts)) AS first_seen_ts
      FROM {db}.health WHERE device_id IN {entities} GROUP BY device_id, firmware) AS fl
      ON fl.device_id = h.device_id AND fl.firmware = toString(h.firmware_version)
    WHERE h.device_id IN {entities} AND ${inRange('h.ts')}`,
  values: {
    firmware: 'toString(firmware_version)', uptime: 'toFloat64(uptime_s)', rssi: 'toFloat64(rssi_dbm)', volts: 'toFloat64(supply_voltage_v)',
    cycles: 'toInt64(valve_cycles)', reboots: 'toInt64(reboot_count)', active_errors: 'toInt64(length(error_codes))', flash_ts: 'first_seen_ts',
  },
  sums: {
    hn: 'toInt64(1)', hrssi: 'toInt64(rssi_dbm)', hweak: 'toInt64(rssi_dbm < -85)', hvolts: fixed('supply_voltage_v', 1000),
    hdips: 'toInt64(supply_voltage_v < 11.5)', herrframes: 'toInt64(length(error_codes) > 0)', herrs: 'toInt64(length(error_codes))',
  },
  windows: { '24h': D, '7d': 7 * D },
  lagged: [{ value: 'cycles', window: '24h' }, { value: 'cycles', window: '7d' }, { value: 'reboots', window: '24h' }, { value: 'reboots', window: '7d' }],
  features: [
    f('firmware_version', 'string', 'Firmware the tap reports', 'firmware'),
    f('days_since_flash', 'float64', 'Days since the tap first reported its current firmware', '(__row_ts - flash_ts) / 86400000'),
    f('uptime_hours', 'float64', 'Hours since the last boot', 'uptime / 3600'),
    f('uptime_percentage', 'float64', 'Share of the last 24 h the tap has been up since its last boot (%)', 'least(uptime, 86400) / 864'),
    f('rssi_dbm', 'float64', 'Latest Wi-Fi signal strength (dBm)', 'rssi'),
    f('rssi_avg_24h', 'float64', 'Mean signal strength over 24 h (dBm)', ratio('hrssi__24h', 'hn__24h')),
    f('weak_signal_share_24h', 'float64', 'Share of health frames under -85 dBm, 24 h', ratio('hweak__24h', 'hn__24h')),
    f('supply_voltage_v', 'float64', 'Latest supply voltage (V)', 'volts'),
    f('supply_voltage_avg_24h', 'float64', 'Mean supply voltage over 24 h (V)', ratio('hvolts__24h / 1000', 'hn__24h')),
    f('supply_voltage_dips_24h', 'int64', 'Health frames under 11.5 V, 24 h', 'hdips__24h'),
    f('supply_voltage_dips_7d', 'int64', 'Health frames under 11.5 V, 7 days', 'hdips__7d'),
    f('valve_cycles_24h', 'int64', 'Valve open/close cycles in the last 24 h (lifetime counter delta)', 'cycles - cycles__at_24h'),
    f('valve_cycles_per_day_7d', 'float64', 'Mean valve cycles per day over 7 days', '(cycles - cycles__at_7d) / 7'),
    f('reboots_24h', 'int64', 'Reboots and reconnects in the last 24 h (reboot counter delta)', 'reboots - reboots__at_24h'),
    f('reboots_7d', 'int64', 'Reboots and reconnects in the last 7 days', 'reboots - reboots__at_7d'),
    f('active_error_count', 'int64', 'Error codes in the latest health frame', 'active_errors'),
    f('error_code_count_24h', 'int64', 'Error codes reported over 24 h', 'herrs__24h'),
    f('error_code_count_7d', 'int64', 'Error codes reported over 7 days', 'herrs__7d'),
    f('error_frames_24h', 'int64', 'Health frames carrying at least one error code, 24 h', 'herrframes__24h'),
    f('health_frames_24h', 'int64', 'Health frames received over 24 h', 'hn__24h'),
  ],
}

const deviceGaps: FeatureView = {
  name: 'device_gaps', entity: 'device', owner: OWNER, version: 1, ttlMs: 30 * D,
  description: 'Sequence gaps (lost frames) per tap, as first detected', source: 'tapflow.gaps',
  sourceSql: `SELECT device_id AS entity_id, toUnixTimestamp64Milli(detected_at) AS ts_ms, from_seq AS __order, *
    FROM {db}.gaps FINAL WHERE filled = 0 AND device_id IN {entities} AND ${inRange('detected_at')}`,
  values: {},
  sums: { gn: 'toInt64(1)', gmiss: 'toInt64(missing)' },
  windows: { '24h': D, '7d': 7 * D },
  features: [
    f('seq_gaps_24h', 'int64', 'Sequence gaps detected in the last 24 h', 'gn__24h'),
    f('seq_gaps_7d', 'int64', 'Sequence gaps detected in the last 7 days', 'gn__7d'),
    f('seq_frames_missing_24h', 'int64', 'Frames missing at detection, 24 h', 'gmiss__24h'),
  ],
}

const deviceProfile: FeatureView = {
  name: 'device_profile', entity: 'device', owner: OWNER, version: 1, ttlMs: 3650 * D,
  description: 'The tap as the fleet spec describes it (dimension, rewritten at each start)', source: 'tapflow.devices',
  sourceSql: `SELECT device_id AS entity_id, toUnixTimestamp64Milli(updated_at) AS ts_ms, 0 AS __order, *
    FROM {db}.devices FINAL WHERE device_id IN {entities} AND ${inRange('updated_at')}`,
  values: { keg_size: 'toFloat64(keg_size_ml)', beverage: 'toString(beverage_id)', line: 'toInt64(line_id)' },
  sums: {},
  windows: {},
  features: [
    f('keg_size_ml', 'float64', 'Keg size on the line (ml)', 'keg_size'),
    f('beverage_id', 'string', 'Beverage on the line', 'beverage'),
    f('line_id', 'int64', 'Beer line number at the venue', 'line'),
  ],
}

const venuePours: FeatureView = {
  name: 'venue_pours', entity: 'venue', owner: OWNER, version: 1, ttlMs: 7 * D,
  description: 'Pours, volume and waste across a venue\'s taps', source: 'tapflow.pours',
  sourceSql: `SELECT venue_id AS entity_id, toUnixTimestamp64Milli(ts) AS ts_ms, seq AS __order, *, volume_ml, waste_ml
    FROM {db}.pours FINAL WHERE venue_id IN {entities} AND ${inRange('ts')}`,
  values: {},
  sums: { n: 'toInt64(1)', vol: fixed('volume_ml', 1000), waste: fixed('waste_ml', 1000) },
  windows: { '1h': H, '24h': D, '7d': 7 * D },
  features: [
    f('venue_pour_count_1h', 'int64', 'Pours at the venue in the last hour', 'n__1h'),
    f('venue_pour_count_24h', 'int64', 'Pours at the venue in the last 24 h', 'n__24h'),
    f('venue_volume_l_24h', 'float64', 'Litres poured at the venue in the last 24 h', 'vol__24h / 1e6'),
    f('venue_volume_l_7d', 'float64', 'Litres poured at the venue in the last 7 days', 'vol__7d / 1e6'),
    f('venue_waste_ratio_24h', 'float64', 'Waste over poured volume at the venue, 24 h', ratio('waste__24h', 'vol__24h')),
    f('venue_volume_trend_24h', 'float64', 'Last 24 h volume over the 7-day daily mean, minus 1', `${ratio('vol__24h * 7', 'vol__7d')} - 1`),
  ],
}

const chillerMetric = (m: string): string => `if(metric = '${m}', ${fixed('value', 1000)}, 0)`
const chillerCount = (m: string): string => `toInt64(metric = '${m}')`
const venueChiller: FeatureView = {
  name: 'venue_chiller', entity: 'venue', owner: OWNER, version: 1, ttlMs: D,
  description: 'Cellar chiller readings (OPC-UA) for the venue', source: 'tapflow.chiller',
  sourceSql: `SELECT venue_id AS entity_id, toUnixTimestamp64Milli(ts) AS ts_ms, 0 AS __order, *
    FROM {db}.chiller FINAL WHERE venue_id IN {entities} AND ${inRange('ts')}`,
  values: {},
  sums: {
    cs_n: chillerCount('supply_temp_c'), cs: chillerMetric('supply_temp_c'), cr_n: chillerCount('return_temp_c'), cr: chillerMetric('return_temp_c'),
    cc_n: chillerCount('compressor_current_a'), cc: chillerMetric('compressor_current_a'), cp_n: chillerCount('pressure_bar'), cp: chillerMetric('pressure_bar'),
    calarm: "toInt64(metric = 'alarms' AND value != 0)", cgap: "toInt64(metric = 'session_gap_ms')",
  },
  windows: { '1h': H, '24h': D },
  features: [
    f('chiller_supply_temp_avg_1h', 'float64', 'Mean chiller supply temperature, 1 h (°C)', ratio('cs__1h / 1000', 'cs_n__1h')),
    f('chiller_return_temp_avg_1h', 'float64', 'Mean chiller return temperature, 1 h (°C)', ratio('cr__1h / 1000', 'cr_n__1h')),
    f('chiller_supply_temp_avg_24h', 'float64', 'Mean chiller supply temperature, 24 h (°C)', ratio('cs__24h / 1000', 'cs_n__24h')),
    f('chiller_compressor_current_avg_1h', 'float64', 'Mean compressor current, 1 h (A)', ratio('cc__1h / 1000', 'cc_n__1h')),
    f('chiller_pressure_avg_1h', 'float64', 'Mean refrigerant pressure, 1 h (bar)', ratio('cp__1h / 1000', 'cp_n__1h')),
    f('chiller_alarm_readings_24h', 'int64', 'Chiller readings with an alarm bit set, 24 h', 'calarm__24h'),
    f('chiller_session_gaps_24h', 'int64', 'Lost-and-restored OPC-UA sessions, 24 h', 'cgap__24h'),
  ],
}

const venueProfile: FeatureView = {
  name: 'venue_profile', entity: 'venue', owner: OWNER, version: 1, ttlMs: 3650 * D,
  description: 'The venue as the fleet spec describes it (dimension, rewritten at each start)', source: 'tapflow.venues',
  sourceSql: `SELECT venue_id AS entity_id, toUnixTimestamp64Milli(updated_at) AS ts_ms, 0 AS __order, *
    FROM {db}.venues FINAL WHERE venue_id IN {entities} AND ${inRange('updated_at')}`,
  values: { vtype: 'toString(venue_type)', vcity: 'toString(city)', vregion: 'toString(region)' },
  sums: {},
  windows: {},
  features: [
    f('venue_type', 'string', 'Kind of venue (pub, restaurant, …)', 'vtype'),
    f('venue_city', 'string', 'City of the venue', 'vcity'),
    f('venue_region', 'string', 'Sales region of the venue', 'vregion'),
  ],
}

// Customer features from telemetry, through the venue dimension's owner (business migration 003, ClickHouse 008).
const ACCOUNT_OF_VENUE = `(SELECT venue_id, argMax(account_id, updated_at) AS account_id FROM {db}.venues GROUP BY venue_id HAVING account_id != '')`
const customerPours: FeatureView = {
  name: 'customer_pours', entity: 'customer', owner: OWNER, version: 1, ttlMs: 7 * D,
  description: 'Live pours across all of the account\'s venues (telemetry)', source: 'tapflow.pours ⋈ tapflow.venues',
  sourceSql: `SELECT c.account_id AS entity_id, toUnixTimestamp64Milli(p.ts) AS ts_ms, p.seq AS __order, p.volume_ml AS volume_ml
    FROM {db}.pours AS p FINAL INNER JOIN ${ACCOUNT_OF_VENUE} AS c ON c.venue_id = p.venue_id
    WHERE c.account_id IN {entities} AND ${inRange('p.ts')}`,
  values: {},
  sums: { n: 'toInt64(1)', vol: fixed('volume_ml', 1000) },
  windows: { '24h': D, '7d': 7 * D },
  features: [
    f('customer_pour_count_24h', 'int64', 'Pours across the account\'s venues, 24 h (telemetry)', 'n__24h'),
    f('customer_pour_count_7d', 'int64', 'Pours across the account\'s venues, 7 days (telemetry)', 'n__7d'),
    f('customer_volume_l_7d', 'float64', 'Litres poured across the account\'s venues, 7 days (telemetry)', 'vol__7d / 1e6'),
  ],
}

export const FEATURE_VIEWS: readonly FeatureView[] = [
  devicePours, deviceTemperatures, deviceHealth, deviceGaps, deviceProfile, venuePours, venueChiller, venueProfile, customerPours, ...BUSINESS_VIEWS,
]

/** Scores over several views; NULL when an input is missing. */
export const DERIVED_FEATURES: readonly DerivedFeature[] = [
  {
    name: 'maintenance_score', entity: 'device', type: 'float64', owner: OWNER, version: 1,
    description: 'Maintenance need 0..100 (higher is worse): warm or warming line, flow drift, foam, errors, power dips, reboots',
    inputs: ['line_temp_avg_24h', 'line_temp_slope_24h', 'flow_rate_drift_24h', 'foam_ratio_avg_24h', 'error_code_count_24h', 'supply_voltage_dips_24h', 'reboots_24h'],
    sql: `least(100, greatest(0, 20 * greatest(0, line_temp_avg_24h - 4) + 40 * greatest(0, line_temp_slope_24h)
      + 100 * abs(coalesce(flow_rate_drift_24h, 0)) + 50 * coalesce(foam_ratio_avg_24h, 0)
      + 2 * error_code_count_24h + 5 * supply_voltage_dips_24h + 10 * reboots_24h))`,
  },
  {
    name: 'keg_fill_ratio', entity: 'device', type: 'float64', owner: OWNER, version: 1,
    description: 'Keg level over keg size (0..1)', inputs: ['keg_remaining_ml', 'keg_size_ml'], sql: ratio('keg_remaining_ml', 'keg_size_ml'),
  },
]
