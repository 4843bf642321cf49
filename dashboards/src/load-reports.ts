import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { HttpError } from './params.js'
import type { LoadReportEntry } from '../api.js'


const NAME = /^load-[A-Za-z0-9._-]{1,100}$/

/** The load-test reports under `<reportsDir>/load-*\/report.json`, newest first. None is a normal state. */
export function listLoadReports(reportsDir: string): LoadReportEntry[] {
  if (!existsSync(reportsDir)) return []
  const out: LoadReportEntry[] = []
  for (const name of readdirSync(reportsDir)) {
    if (!NAME.test(name)) continue
    const file = join(reportsDir, name, 'report.json')
    try {
      const report = JSON.parse(readFileSync(file, 'utf8')) as { summary?: unknown }
      out.push({ name, modifiedAt: statSync(file).mtimeMs, summary: report.summary ?? null })
    } catch {
      // Missing or half-written report: skip it, the next refresh will see it.
    }
  }
  return out.sort((a, b) => b.modifiedAt - a.modifiedAt)
}

export function readLoadReport(reportsDir: string, name: string): unknown {
  // The name is checked against a strict pattern, so it cannot climb out of reportsDir.
  if (!NAME.test(name)) throw new HttpError(400, `bad name '${name.slice(0, 80)}': expected load-<run>`)
  const file = join(reportsDir, name, 'report.json')
  if (!existsSync(file)) throw new HttpError(404, `no report ${name}`)
  try {
    return JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    throw new HttpError(409, `report ${name} is not valid JSON yet (still being written?)`)
  }
}
