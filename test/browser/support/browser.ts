import AxeBuilder from '@axe-core/playwright';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium, or the one CHROME_PATH names; Playwright's own download is never used. */
export const CHROME_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium';
export const BUILT_WEB_APP = resolve(__dirname, '../../../dist/web/index.html');
export const SCREENSHOTS = resolve(__dirname, '../../../test-artifacts/screenshots');

/** Why the browser tests cannot run here, or null: `npm test` prints it as one loud line and skips them. */
export function browserTestsUnavailable(): string | null {
  if (!existsSync(CHROME_PATH)) return `no Chromium at ${CHROME_PATH} (apt-get install -y chromium, or set CHROME_PATH)`;
  if (!existsSync(BUILT_WEB_APP)) return 'the web app is not built (npm run build)';
  return null;
}

export async function launchBrowser(): Promise<Browser> {
  // Sessions and CI run as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROME_PATH, args: ['--no-sandbox'] });
}

/** A new page at a laptop's size (1366×768 unless asked), with the app's console errors collected. */
export async function newPage(browser: Browser, viewport = { width: 1366, height: 768 }): Promise<{ page: Page; consoleErrors: string[] }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  return { page, consoleErrors };
}

/** axe-core's WCAG 2.1 A/AA rules on the page as it is: the serious and critical violations, described. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** A full-page screenshot kept as a test artifact (test-artifacts/, not committed) for reviewers. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
