import { test, expect, login, hydrated } from './fixtures';

// Issue 17: the settings an admin sets for the mail edges, each change in Org Logging.

test('an admin sets the SNS topic of a webhook credential; a bad ARN is refused; both are logged', async ({ page, allowConsole }) => {
  allowConsole(/422/); // the refused ARN is a 422 from the server function
  await login(page, 'admin@acme.test');
  // The demo's admin set a topic once already: count from here.
  await page.goto('/org-logging?kind=webhook_credential_changed');
  await expect(page.getByTestId('org-log')).toBeVisible();
  const before = await page.getByTestId('log-row').count();
  await page.goto('/apps/channels/email');
  await hydrated(page);
  const row = page.getByTestId('webhook-credential-acme-webhooks');
  await expect(row).toContainText('acme-webhooks');
  await row.getByTestId('sns-topic-input').fill('arn:aws:sns:eu-west-1:1234:acme');
  await row.getByRole('button', { name: 'Save' }).click();
  const panel = page.getByTestId('webhook-credentials');
  await expect(panel.getByRole('alert')).toContainText('12 digits');

  const topic = 'arn:aws:sns:eu-west-1:123456789012:acme-ses';
  await row.getByTestId('sns-topic-input').fill(topic);
  await row.getByRole('button', { name: 'Save' }).click();
  await expect(panel.getByRole('status')).toContainText(`Saved: SNS topic ${topic}`);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('webhook-credential-acme-webhooks').getByTestId('sns-topic-input')).toHaveValue(topic);

  await page.goto('/org-logging?kind=webhook_credential_changed');
  const rows = page.getByTestId('log-row');
  await expect(rows).toHaveCount(before + 1);
  await expect(rows.first()).toContainText('admin@acme.test');
  await expect(rows.first()).toContainText(topic);
});

test('changing the trusted authserv-ids is logged with the old and new list', async ({ page }) => {
  await login(page, 'admin@acme.test');
  // The demo's admin set them once already: count from here.
  await page.goto('/org-logging?kind=trusted_authserv_ids_changed');
  await expect(page.getByTestId('org-log')).toBeVisible();
  const before = await page.getByTestId('log-row').count();
  await page.goto('/apps/channels/email');
  await hydrated(page);
  const panel = page.getByTestId('trusted-authserv');
  await panel.getByTestId('trusted-authserv-input').fill('mx.forwarder.test');
  await panel.getByRole('button', { name: 'Save' }).click();
  await expect(panel.getByRole('status')).toContainText('trusting mx.forwarder.test');
  // Back to the default (none) for whoever runs next.
  await panel.getByTestId('trusted-authserv-input').fill('');
  await panel.getByRole('button', { name: 'Save' }).click();
  await expect(panel.getByRole('status')).toContainText('no forwarder is trusted');

  await page.goto('/org-logging?kind=trusted_authserv_ids_changed');
  const rows = page.getByTestId('log-row');
  await expect(rows).toHaveCount(before + 2);
  await expect(rows.first()).toContainText('admin@acme.test');
  await expect(rows.first()).toContainText('mx.forwarder.test');
});
