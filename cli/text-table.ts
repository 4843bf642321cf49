/** Minutes, UTC, as the reports print simulated times: `2026-11-30 12:00`. */
export const isoMinute = (t: number): string => new Date(t).toISOString().slice(0, 16).replace('T', ' ')

/** Rows as aligned text lines: the first column left-aligned, the others (numbers) right-aligned, two spaces apart. */
export function alignRows(rows: readonly (readonly string[])[]): string[] {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)))
  return rows.map((r) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ').trimEnd())
}
