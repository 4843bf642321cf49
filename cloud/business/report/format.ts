export const usd = (v: number | null): string =>
  v === null ? 'n/a' : `${v < 0 ? '-' : ''}$${Math.abs(v).toLocaleString('en-US', { maximumFractionDigits: 0 })}`
export const pct = (v: number | null, digits = 1): string => (v === null ? 'n/a' : `${(v * 100).toFixed(digits)}%`)
export const num = (v: number | null, digits = 0): string =>
  v === null ? 'n/a' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
