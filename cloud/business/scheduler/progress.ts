import cliProgress from 'cli-progress'

export interface Progress {
  tick(day: string): void
  stop(): void
}

const NONE: Progress = { tick: () => undefined, stop: () => undefined }

/** A cli-progress bar on stderr: shown when asked, or by default only when stderr is a TTY. */
export function createProgress(total: number, mode: boolean | 'auto', label: string): Progress {
  const on = mode === 'auto' ? process.stderr.isTTY === true : mode
  if (!on || total <= 0) return NONE
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: `${label} [{bar}] {value}/{total} days | {day} | eta {eta_formatted}`,
    hideCursor: true,
    // Without a TTY (forced on), cli-progress would draw nothing; noTTYOutput prints plain updates instead.
    noTTYOutput: process.stderr.isTTY !== true,
    notTTYSchedule: 2000,
  }, cliProgress.Presets.shades_classic)
  bar.start(total, 0, { day: '' })
  return { tick: (day) => bar.increment(1, { day }), stop: () => bar.stop() }
}
