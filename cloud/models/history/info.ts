import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, errorMessage } from '../../../common/index.js'

/** What `tapflow models simulate` wrote, so that later commands (dataset, train) find the window without flags. */
export interface HistoryInfo {
  /** Simulated range, ms since the epoch. */
  from: number
  to: number
  manifest: string
  taps: number
  seed: number
  hazardScale: number
  repairAfterMs: number
  /** Wall-clock ISO time the history was written. */
  writtenAt: string
}

const file = (dataDir: string): string => join(dataDir, 'models', 'history.json')

export function writeHistoryInfo(dataDir: string, info: HistoryInfo): void {
  mkdirSync(join(dataDir, 'models'), { recursive: true })
  writeFileSync(file(dataDir), JSON.stringify(info, null, 2) + '\n')
}

/** The last simulated history of `dataDir`, or undefined when none was written. */
export function readHistoryInfo(dataDir: string): HistoryInfo | undefined {
  let text: string
  try {
    text = readFileSync(file(dataDir), 'utf8')
  } catch {
    return undefined
  }
  try {
    const info = JSON.parse(text) as HistoryInfo
    if (!Number.isFinite(info.from) || !Number.isFinite(info.to)) throw new Error('no from/to')
    return info
  } catch (err) {
    throw new ConfigError(`${file(dataDir)} is not a history description (${errorMessage(err)}): run 'tapflow models simulate' again`)
  }
}
