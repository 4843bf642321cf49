import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'

/** Debian's chromium, driven by playwright-core: never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium'

/** Headless and quiet: no GPU, no sandbox (root in CI), and nothing that reaches the network on its own. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
]

export const chromiumPresent = (): boolean => existsSync(CHROMIUM)

export interface ChromiumPeer {
  context: BrowserContext
  close(): Promise<void>
}

/** A fresh profile in a temp dir, removed on close. */
export async function launchChromium(viewport = { width: 1280, height: 860 }): Promise<ChromiumPeer> {
  if (!chromiumPresent()) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (make test does, as root)`)
  const profile = mkdtempSync(join(tmpdir(), 'tapflow-chromium-'))
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport })
  return {
    context,
    close: async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}
