import { test, expect, login, hydrated } from './fixtures';

const WEBHOOK_AUTH = 'Basic ' + Buffer.from('acme-webhooks:acme-demo-webhook-secret').toString('base64');

// Postmark's documented Bounce webhook shape (HardBounce, TypeCode 1).
function postmarkHardBounce(email: string, id: number) {
  return {
    RecordType: 'Bounce',
    ID: id,
    Type: 'HardBounce',
    TypeCode: 1,
    Name: 'Hard bounce',
    Tag: '',
    MessageID: `883953f4-6105-42a2-a16a-77a8eac7${id}`,
    ServerID: 23,
    MessageStream: 'outbound',
    Description: 'The server was unable to deliver your message (ex: unknown user, mailbox not found).',
    Details: "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
    Email: email,
    From: 'support@acme.test',
    BouncedAt: new Date().toISOString(),
    DumpAvailable: false,
    Inactive: true,
    CanActivate: true,
    Subject: 'Re: Order #10482 arrived damaged',
  };
}

test('a hard bounce posted to the webhook marks the contact, is logged, and an admin reactivates it', async ({ page, request }) => {
  const email = 'maria.lopez@example.com';
  const bounce = await request.post('/webhooks/postmark', {
    headers: { Authorization: WEBHOOK_AUTH },
    data: postmarkHardBounce(email, 4242001),
  });
  expect(bounce.status()).toBe(200);

  await login(page, 'admin@acme.test');
  await page.goto(`/contacts?q=${encodeURIComponent(email)}`);
  const row = page.locator(`tr[data-email="${email}"]`);
  await expect(row.getByTestId('contact-status')).toHaveText(/hard bounce/);

  await page.goto(`/org-logging?subject=${encodeURIComponent(email)}`);
  const log = page.getByTestId('org-log');
  await expect(log).toContainText('bounce');
  await expect(log).toContainText('suppression added');

  await page.goto(`/contacts?q=${encodeURIComponent(email)}`);
  await hydrated(page);
  await row.getByRole('button', { name: 'Reactivate' }).click();
  await row.getByLabel('Reason for reactivation').fill('Customer confirmed the mailbox works again');
  await row.getByRole('button', { name: 'Confirm' }).click();
  await expect(row.getByTestId('contact-status')).toHaveText('active');

  await page.goto(`/org-logging?kind=suppression_reactivated`);
  await expect(page.getByTestId('org-log')).toContainText(email);
});

test('without the webhook credential nothing is stored', async ({ request }) => {
  const r = await request.post('/webhooks/postmark', { data: postmarkHardBounce('ana.silva@example.com', 4242002) });
  expect(r.status()).toBe(401);
});

test('an agent can reach neither Org Logging nor reactivation', async ({ page, allowConsole }) => {
  allowConsole(/403/);
  await login(page, 'agent@acme.test');
  const resp = await page.goto('/org-logging');
  expect(resp?.status()).toBe(403);
  const api = await page.request.post('/api/admin/reactivate', {
    form: { email: 'maria.lopez@example.com', reason: 'x' },
  });
  expect(api.status()).toBe(403);
  await page.goto('/contacts?q=maria.lopez%40example.com');
  await expect(page.locator('tr[data-email="maria.lopez@example.com"]')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Reactivate' })).toHaveCount(0);
});
