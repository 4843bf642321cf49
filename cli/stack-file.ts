import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** What a running `tapflow up` or `tapflow gateway` publishes about itself in <data-dir>/stack.json. */
export interface StackInfo {
  pid: number
  startedAt: string
  mqttUrl?: string
  sqlUrl?: string
  webUrl?: string
  /** SELECT-only, read-only PostgreSQL login of the embedded business, for `tapflow business sql`. */
  businessUrl?: string
  /** host:port of the feature store's FeatureService (gRPC), for `tapflow features get`. */
  featuresUrl?: string
  /** host:port of InferenceService (gRPC). */
  inferenceUrl?: string
}

const FILE = 'stack.json'

export function writeStackInfo(dataDir: string, info: StackInfo): void {
  writeFileSync(join(dataDir, FILE), JSON.stringify(info, null, 2) + '\n')
}

export function removeStackInfo(dataDir: string): void {
  rmSync(join(dataDir, FILE), { force: true })
}

/** The running stack that owns `dataDir`, if its process is still alive. */
export function readStackInfo(dataDir: string): StackInfo | undefined {
  let info: StackInfo
  try {
    info = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as StackInfo
  } catch {
    return undefined
  }
  try {
    process.kill(info.pid, 0)
    return info
  } catch {
    return undefined
  }
}
