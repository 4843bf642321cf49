import type { Page } from 'playwright-core'

/** What the browser tests type into the demo form, and what the demo_requested event then carries. */
export const DEMO_REQUEST = { name: 'Ada Brewer', email: 'ada@brewhouse.example', company: 'Brewhouse Ltd', venues: 4 }

/** Fills the "Request a demo" page as a visitor would, by label, submits it and waits for the thank-you. */
export async function requestDemo(page: Page): Promise<void> {
  await page.getByLabel('Your name').fill(DEMO_REQUEST.name)
  await page.getByLabel('Work email').fill(DEMO_REQUEST.email)
  await page.getByLabel('Company').fill(DEMO_REQUEST.company)
  await page.getByLabel('Number of venues').fill(String(DEMO_REQUEST.venues))
  await page.getByRole('button', { name: 'Request my demo' }).click()
  await page.getByRole('status').waitFor()
}
