import { test, expect, login, hydrated } from './fixtures';

// The demo is 29 days of Acme made by the real pipelines (issue 18): these tests read what it
// left on the pages, then resume the provider it paused.

test.describe.configure({ mode: 'serial' });

test('the complaint chart crosses the 0.1 % line on some days, not all', async ({ page }) => {
  await login(page, 'admin@acme.test');
  await page.goto('/apps/channels/email');
  await hydrated(page);
  const panel = page.getByTestId('complaint-rate');
  const limitY = Number(await panel.getByTestId('rate-limit-line').getAttribute('y1'));
  const points = (await panel.getByTestId('rate-line').getAttribute('points'))!.trim().split(' ');
  const ys = points.map((p) => Number(p.split(',')[1]));
  // Higher rate = smaller y.
  const over = ys.filter((y) => y <= limitY).length;
  expect(over).toBeGreaterThan(0);
  expect(over).toBeLessThan(ys.length);
  await expect(panel.getByTestId('events-by-category')).toContainText('hard bounce');
});

test('Org Logging has hundreds of entries of many kinds', async ({ page }) => {
  await login(page, 'admin@acme.test');
  for (const kind of ['bounce', 'complaint', 'auto_reply', 'unsubscribe', 'suppression_added',
    'suppression_released', 'rate_warning', 'provider_paused', 'marked_spam', 'spam_detected']) {
    await page.goto(`/org-logging?kind=${kind}`);
    await expect(page.getByTestId('log-row').first(), kind).toBeVisible();
  }
  await page.goto('/org-logging');
  await expect(page.getByTestId('org-log')).toBeVisible();
  const pager = await page.locator('nav.pager').innerText();
  const total = Number((pager.match(/(\d[\d,]*) entr/) ?? ['', '0'])[1].replace(/,/g, ''));
  expect(total).toBeGreaterThanOrEqual(300);
});

test('contacts show every status, and sent replies show accepted timestamps and red badges', async ({ page }) => {
  await login(page, 'admin@acme.test');
  await page.goto('/contacts');
  const body = page.locator('body');
  for (const status of ['hard bounce', 'soft bounce', 'complaint', 'inactive', 'active']) {
    await expect(body).toContainText(status);
  }
  await page.goto('/conversations?status=all');
  await expect(page.getByTestId('conversation-row').first()).toBeVisible();
});

test('a campaign complaint leaves the ticket reply allowed, and the form says so', async ({ page }) => {
  await login(page, 'agent@acme.test');
  await page.goto('/conversations?status=all');
  await page.getByRole('link', { name: 'Refund for the returned kettle' }).click();
  await hydrated(page);
  const line = page.getByTestId('reply-stream');
  await expect(line).toHaveAttribute('data-reply-allowed', 'true');
  await expect(line).toHaveAttribute('data-stream', 'campaign');
  await expect(line).toContainText('This reply goes out');
  await expect(line).toContainText('Campaigns to this address are stopped');
  await page.getByLabel('Reply').fill('Your refund was issued today.');
  await page.getByRole('button', { name: 'Send reply' }).click();
  const sent = page.getByTestId('message').filter({ hasText: 'Your refund was issued today.' });
  await expect(sent.getByTestId('delivery')).toHaveAttribute('data-state', 'accepted');
});

test('a provider pause leaves other providers sending; an admin resumes it with a reason', async ({ page }) => {
  await login(page, 'admin@acme.test');
  await page.goto('/apps/channels/email');
  await hydrated(page);
  const rows = page.getByTestId('provider-row');
  await expect(rows).toHaveCount(6);
  await expect(page.locator('tr[data-provider="gmail"]')).toHaveAttribute('data-state', 'paused');
  for (const p of ['microsoft', 'yahoo', 'apple', 'gmx_webde', 'other']) {
    await expect(page.locator(`tr[data-provider="${p}"]`)).toHaveAttribute('data-state', 'sending');
  }
  // The second campaign went to every provider but Gmail.
  await page.goto('/apps/campaigns');
  const barista = page.getByTestId('campaign-row').filter({ hasText: 'Barista course' });
  await expect(barista).toHaveAttribute('data-status', 'sending');

  await page.goto('/apps/channels/email');
  await hydrated(page);
  const gmail = page.locator('tr[data-provider="gmail"]');
  await gmail.getByTestId('provider-resume-reason').fill('complainers removed from the list');
  await gmail.getByTestId('provider-resume').click();
  await expect(page.locator('tr[data-provider="gmail"]')).toHaveAttribute('data-state', 'sending');
  await expect(page.locator('tr[data-provider="gmail"]')).toContainText('complainers removed from the list');
  await page.goto('/org-logging?kind=provider_resumed');
  await expect(page.getByTestId('org-log')).toContainText('admin@acme.test');
  // The held Gmail recipients go out in the background.
  await page.goto('/apps/campaigns');
  await expect(page.getByTestId('campaign-row').filter({ hasText: 'Barista course' }))
    .toHaveAttribute('data-status', 'sent', { timeout: 20_000 });
});
