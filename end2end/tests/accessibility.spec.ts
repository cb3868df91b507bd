import { test, expect, login, hydrated } from './fixtures';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';

// axe-core on every page, as agent and as admin: no serious or critical violation.

const AGENT_PAGES = ['/conversations', '/conversations?status=done', '/contacts', '/reporting', '/account'];
const ADMIN_PAGES = [
  ...AGENT_PAGES,
  '/apps/channels/email',
  '/apps/campaigns',
  '/settings/administration/spam-filters',
  '/settings/administration/users',
  '/org-logging',
];

async function serious(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`);
}

async function check(page: Page, url: string) {
  await page.goto(url);
  await hydrated(page);
  await page.waitForLoadState('networkidle');
  expect(await serious(page), `axe on ${url}`).toEqual([]);
}

/** A conversation page and an address history page, found from the lists. */
async function detailPages(page: Page): Promise<string[]> {
  await page.goto('/conversations?status=all');
  await hydrated(page);
  const conversation = await page.getByTestId('conversation-row').first().getByRole('link').first().getAttribute('href');
  await page.goto('/contacts');
  await hydrated(page);
  const history = await page.getByTestId('contact-history-link').first().getAttribute('href');
  return [conversation!, history!];
}

test('the sign-in page has no serious accessibility violation', async ({ page }) => {
  await page.context().clearCookies();
  await check(page, '/login');
});

test('every page an agent sees has no serious accessibility violation', async ({ page }) => {
  await login(page, 'agent@acme.test');
  for (const url of [...AGENT_PAGES, ...(await detailPages(page))]) {
    await check(page, url);
  }
});

test('every page an admin sees has no serious accessibility violation', async ({ page }) => {
  await login(page, 'admin@acme.test');
  for (const url of [...ADMIN_PAGES, ...(await detailPages(page))]) {
    await check(page, url);
  }
});
