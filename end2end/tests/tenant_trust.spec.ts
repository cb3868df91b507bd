import { test, expect, login, hydrated } from './fixtures';

// Issue 16: one account's word stays in that account; hard bounces reported by two accounts
// make an address global, and each account can still reactivate it for itself.
const basic = (user: string, secret: string) => 'Basic ' + Buffer.from(`${user}:${secret}`).toString('base64');
const ACME = basic('acme-webhooks', 'acme-demo-webhook-secret');
const GLOBEX = basic('globex-webhooks', 'globex-demo-webhook-secret');

function inbound(from: string, to: string, subject: string, id: string) {
  return {
    From: from,
    FromName: 'Trust Customer',
    FromFull: { Email: from, Name: 'Trust Customer', MailboxHash: '' },
    To: to,
    ToFull: [{ Email: to, Name: '', MailboxHash: '' }],
    Subject: subject,
    MessageID: id,
    Date: new Date().toUTCString(),
    TextBody: 'Hello, could you tell me when my order ships? Thanks.',
    HtmlBody: '',
    Headers: [],
    Attachments: [],
  };
}

// Postmark's documented Bounce webhook shape (HardBounce, TypeCode 1), with a MessageID that
// matches nothing we sent: only the reporting account's word.
function hardBounce(email: string, id: number) {
  return {
    RecordType: 'Bounce',
    ID: id,
    Type: 'HardBounce',
    TypeCode: 1,
    Name: 'Hard bounce',
    MessageID: `trust-made-up-${id}`,
    Description: 'The server was unable to deliver your message (ex: unknown user, mailbox not found).',
    Details: 'smtp;550 5.1.1 The email account that you tried to reach does not exist.',
    Email: email,
    BouncedAt: new Date().toISOString(),
    Inactive: true,
    CanActivate: true,
  };
}

test('an address two accounts saw hard-bounce is global; Acme sees why and reactivates it for Acme only', async ({ page, browser, request }) => {
  const stamp = Date.now();
  const email = `trust-${stamp}@example.com`;
  // Both accounts know the customer.
  for (const [auth, to] of [[ACME, 'support@acme.test'], [GLOBEX, 'help@globex.test']]) {
    const r = await request.post('/inbound/postmark', {
      headers: { Authorization: auth },
      data: inbound(email, `Order question ${stamp}`, `${to}-${stamp}`),
    });
    expect(r.status()).toBe(201);
  }

  // Globex alone reports a hard bounce: nothing changes for Acme.
  let r = await request.post('/webhooks/postmark', { headers: { Authorization: GLOBEX }, data: hardBounce(email, stamp % 1e9) });
  expect(r.status()).toBe(200);
  await login(page, 'admin@acme.test');
  await page.goto(`/contacts?q=${encodeURIComponent(email)}`);
  await hydrated(page);
  const row = page.locator(`tr[data-email="${email}"]`);
  await expect(row.getByTestId('contact-status')).toHaveText('active');
  await expect(row.getByTestId('contact-global')).toHaveCount(0);

  // Acme reports it too: two accounts confirm it, so it holds for every account.
  r = await request.post('/webhooks/postmark', { headers: { Authorization: ACME }, data: hardBounce(email, (stamp % 1e9) + 1) });
  expect(r.status()).toBe(200);
  await page.reload();
  await hydrated(page);
  await expect(row.getByTestId('contact-global')).toHaveText('global: confirmed by 2 accounts');
  const evidence = row.getByTestId('contact-global-evidence');
  await expect(evidence).toContainText('reported by 2 different accounts within 90 days');
  await expect(evidence).toContainText('5.1.1');

  // Reactivated for Acme only.
  await row.getByRole('button', { name: 'Reactivate' }).click();
  await row.getByLabel('Reason for reactivation').fill('She phoned: the mailbox works again');
  await row.getByRole('button', { name: 'Confirm' }).click();
  await expect(row.getByTestId('contact-status')).toHaveText('active');
  await expect(row.getByTestId('contact-global')).toHaveCount(0);
  await page.goto('/org-logging?kind=suppression_reactivated');
  await expect(page.getByTestId('org-log')).toContainText(email);

  // Globex still sees it global.
  const globex = await browser.newPage();
  await login(globex, 'admin@globex.test');
  await globex.goto(`/contacts?q=${encodeURIComponent(email)}`);
  await hydrated(globex);
  const theirs = globex.locator(`tr[data-email="${email}"]`);
  await expect(theirs.getByTestId('contact-global')).toHaveText('global: confirmed by 2 accounts');
  await globex.close();
});

test('the Email channel page explains who can suppress an address', async ({ page }) => {
  await login(page, 'admin@acme.test');
  await page.goto('/apps/channels/email');
  await hydrated(page);
  const policy = page.getByTestId('suppression-policy');
  await expect(policy).toContainText('in this account only');
  await expect(policy).toContainText('global: confirmed by N accounts');
});
