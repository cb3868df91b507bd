import { test, expect, login, hydrated, PASSWORD } from './fixtures';

test('agent signs in, sees only Acme conversations, opens one and signs out', async ({ page }) => {
  await login(page, 'agent@acme.test');
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
  const list = page.getByTestId('conversation-list');
  await expect(list).toContainText('Order #10482 arrived damaged');
  await expect(list).not.toContainText('Globex');
  // The other account's conversations are not reachable from the "All" tab either.
  await page.getByRole('link', { name: 'All' }).click();
  await expect(list).toContainText('Warranty for grinder bought 2024');
  await expect(list).not.toContainText('Globex');
  await list.getByRole('link', { name: 'Order #10482 arrived damaged' }).click();
  await expect(page.getByTestId('conversation-subject')).toHaveText('Order #10482 arrived damaged');
  await expect(page.getByTestId('message')).toHaveCount(3);
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL('**/login');
  // Let the sign-out finish its own navigation before starting a new one.
  await hydrated(page);
  await page.waitForLoadState('networkidle');
  // The session is gone on the server, not just in the page.
  await page.goto('/conversations');
  await expect(page).toHaveURL(/\/login$/);
});

test('an agent gets 403 on an admin page and sees no admin links', async ({ page, allowConsole }) => {
  allowConsole(/403/);
  await login(page, 'agent@acme.test');
  await expect(page.getByRole('link', { name: 'Org Logging' })).toHaveCount(0);
  for (const path of ['/settings/administration/spam-filters', '/apps/channels/email', '/org-logging']) {
    const resp = await page.goto(path);
    expect(resp?.status(), path).toBe(403);
    await expect(page.getByRole('heading', { name: /Admins only/ })).toBeVisible();
  }
  // The admin server function refuses agents too, not just the page.
  const api = await page.request.post('/api/admin/account', { data: {} , headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  expect(api.status()).toBe(403);
});

test('an admin reaches the admin pages', async ({ page }) => {
  await login(page, 'admin@acme.test');
  await page.getByRole('link', { name: 'Administration › Spam Filters' }).click();
  await expect(page.getByRole('heading', { name: /Spam Filters/ })).toBeVisible();
  await expect(page.getByTestId('account-overview')).toContainText('Acme Support');
  const resp = await page.goto('/org-logging');
  expect(resp?.status()).toBe(200);
});

test('a wrong password shows a clear error', async ({ page, allowConsole }) => {
  allowConsole(/422|Unprocessable/);
  await page.goto('/login');
  await hydrated(page);
  await page.getByLabel('Email').fill('agent@acme.test');
  await page.getByLabel('Password').fill(PASSWORD + '-wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('login-error')).toHaveText('Wrong email or password.');
  await expect(page).toHaveURL(/\/login$/);
});

test('the page hydrates: the ⋯ menu opens on click', async ({ page }) => {
  await login(page, 'agent@acme.test');
  await page.getByRole('link', { name: 'Order #10482 arrived damaged' }).click();
  await expect(page.getByTestId('conversation-menu')).toHaveCount(0);
  await page.getByRole('button', { name: 'More actions' }).click();
  await expect(page.getByTestId('conversation-menu')).toBeVisible();
});

test('mail HTML is sanitized: scripts and onerror handlers do not run', async ({ page }) => {
  await login(page, 'agent@acme.test');
  await page.getByRole('link', { name: "Can't reset my password" }).click();
  const body = page.locator('.message-body.html');
  await expect(body.locator('b')).toHaveText('expired');
  await expect(body.locator('script')).toHaveCount(0);
  expect(await body.innerHTML()).not.toContain('onerror');
  expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
});
