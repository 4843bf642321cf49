/** The lake: Iceberg tables written by ClickHouse, fed by PostgreSQL CDC and ClickHouse telemetry, built by SQL models. */
export { Warehouse, NAMESPACES, ICEBERG_WRITE, parseTableRef, parseNamespace, key as tableKey, type WarehouseOptions, type TableRef, type TableInfo, type Snapshot, type Namespace, type S3Location } from './warehouse.js'
export { CdcSync, parseLsn, pgToClickHouse, type CdcOptions, type CdcStats } from './cdc.js'
export { TelemetryExport, TELEMETRY_TABLES, type TelemetryExportOptions, type ExportResult } from './telemetry.js'
export { loadModels, orderModels, buildModels, parseModel, expandMacros, type Model, type ModelTest, type BuildResult, type BuildOptions } from './models.js'
export { LakeError, ModelTestError } from './errors.js'
export { LakeFollower, type LakeFollowerOptions } from './follower.js'
