import { vi } from 'vitest'

/**
 * Resolves once `cond` holds, checking every `intervalMs`; fails after `timeoutMs` with an error naming
 * `what`. For conditions no event reports (a row count, a stats field); prefer an event when there is one.
 */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, intervalMs = 50): Promise<void> {
  await vi.waitFor(
    async () => {
      if (!(await cond())) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    },
    { timeout: timeoutMs, interval: intervalMs },
  )
}
