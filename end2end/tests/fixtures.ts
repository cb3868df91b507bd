import { test as base, expect, Page } from '@playwright/test';

export const PASSWORD = 'demo-password';

type Fixtures = {
  /** Console messages that a test expects (e.g. a deliberate 403). */
  allowConsole: (pattern: RegExp) => void;
};

// Every test fails on a page error or a console error: that is how broken hydration shows.
export const test = base.extend<Fixtures>({
  allowConsole: [
    async ({ page }, use) => {
      const allowed: RegExp[] = [];
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && !allowed.some((r) => r.test(m.text()))) {
          problems.push(`console.error: ${m.text()}`);
        }
      });
      page.on('dialog', (d) => {
        problems.push(`dialog opened: ${d.message()}`);
        void d.dismiss();
      });
      await use((p) => allowed.push(p));
      expect(problems, 'page errors, console errors or dialogs').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** Waits until the WASM bundle has hydrated the page. */
export async function hydrated(page: Page) {
  await page.waitForSelector('body[data-hydrated="true"]');
}

export async function login(page: Page, email: string, password = PASSWORD) {
  // Start signed out, so a test can switch users.
  await page.context().clearCookies();
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/conversations');
  await hydrated(page);
}
