import { test, expect, login, hydrated } from './fixtures';
import * as fs from 'fs';
import * as path from 'path';

// Issue 18: the score badge, the red badge leading to the suppression and its raw notice, the
// threshold what-if, the allowlist, and the reply box clearing after a send.

const AUTH = 'Basic ' + Buffer.from('acme-webhooks:acme-demo-webhook-secret').toString('base64');
const SPAM_FILE = path.join(
  __dirname, '..', '..', 'server', 'tests', 'fixtures', 'spam', 'spam',
  'spam-2-00089-1235261e1b2063edce03a18d06c11474.eml',
);

/** The corpus spam message with a fresh Message-ID and subject, from `from` when given. */
function spamMessage(tag: string, from?: string): { raw: Buffer; subject: string } {
  const subject = `Product spam ${tag}`;
  const original = fs.readFileSync(SPAM_FILE, 'latin1');
  const [head, ...rest] = original.split(/\r?\n\r?\n/);
  const kept = head
    .split(/\r?\n(?![ \t])/)
    .filter((h) => !/^(message-id|subject):/i.test(h))
    .filter((h) => !(from && /^(from|return-path|reply-to|sender):/i.test(h)))
    .join('\r\n');
  const sender = from ? `From: ${from}\r\n` : '';
  const raw = `Message-ID: <${tag}@e2e.product.example>\r\nSubject: ${subject}\r\n${sender}${kept}\r\n\r\n${rest.join('\r\n\r\n')}`;
  return { raw: Buffer.from(raw, 'latin1'), subject };
}

function hardBounceDsn(recipient: string, messageId: string) {
  return [
    'From: MAILER-DAEMON@mx.example.org',
    'To: bounces@acme.test',
    'Subject: Undelivered Mail Returned to Sender',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered. <script>alert("x")</script>',
    '--b',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.org',
    '',
    `Final-Recipient: rfc822; ${recipient}`,
    'Action: failed',
    'Status: 5.1.1',
    `Diagnostic-Code: smtp; 550 5.1.1 <${recipient}>: Recipient address rejected: User unknown`,
    '',
    '--b',
    'Content-Type: text/rfc822-headers',
    '',
    `Message-ID: <${messageId}>`,
    `To: ${recipient}`,
    '',
    '--b--',
    '',
  ].join('\r\n');
}

test.describe.configure({ mode: 'serial' });

test('an inbound message shows its score; the rules show on hover and on keyboard focus', async ({ page, request }) => {
  const { raw, subject } = spamMessage(`badge-${Date.now()}`);
  const r = await request.post('/inbound/raw', {
    headers: { Authorization: AUTH, 'Content-Type': 'message/rfc822' },
    data: raw,
  });
  expect(r.status()).toBe(201);
  await login(page, 'agent@acme.test');
  await page.goto('/conversations?status=done');
  await page.getByRole('link', { name: subject }).click();
  await hydrated(page);
  const badge = page.getByTestId('spam-score').first();
  await expect(badge).toHaveText(/^score \d+\.\d/);
  const rules = page.getByTestId('spam-rules').first();
  await expect(rules).toBeHidden();
  await badge.hover();
  await expect(rules).toBeVisible();
  await expect(rules).toContainText(/BAYES_9\d/);
  await expect(rules).toContainText(/\+\d+\.\d/);
  // Keyboard: the badge is reachable and shows the same on focus, and screen readers get the
  // rules as its description.
  await page.mouse.move(0, 0);
  await badge.focus();
  await expect(rules).toBeVisible();
  const describedBy = await badge.getAttribute('aria-describedby');
  expect(describedBy).toBeTruthy();
  await expect(page.locator(`#${describedBy}`)).toContainText('MONEY_SOME');
  await expect(page).toHaveTitle(new RegExp(`${subject}.*Deliverdesk`));
});

test('the reply box clears after a send; a hard bounce leads from the red badge to the raw notice', async ({ page, request }) => {
  const customer = `lost.${Date.now()}@example.org`;
  const subject = `Where is my parcel ${Date.now()}`;
  const r = await request.post('/inbound/postmark', {
    headers: { Authorization: AUTH },
    data: {
      From: customer, FromFull: { Email: customer, Name: 'Lost Parcel' },
      To: 'support@acme.test', Subject: subject, MessageID: `lost-${Date.now()}`,
      TextBody: 'It has been two weeks.', Headers: [], Attachments: [],
    },
  });
  expect(r.status()).toBe(201);
  await login(page, 'agent@acme.test');
  await page.goto('/conversations?status=all');
  await page.getByRole('link', { name: subject }).click();
  await hydrated(page);
  await page.getByLabel('Reply').fill('We are on it.');
  await page.getByRole('button', { name: 'Send reply' }).click();
  const sent = page.getByTestId('message').filter({ hasText: 'We are on it.' });
  await expect(sent.getByTestId('delivery')).toHaveAttribute('data-state', 'accepted');
  await expect(page.getByLabel('Reply')).toHaveValue('');

  const messageId = await sent.getAttribute('data-message-id');
  const b = await request.post('/bounces/raw', {
    headers: { Authorization: AUTH, 'Content-Type': 'message/rfc822' },
    data: hardBounceDsn(customer, messageId!),
  });
  expect(b.status()).toBe(200);
  await page.reload();
  await hydrated(page);
  const failed = page.getByTestId('message').filter({ hasText: 'We are on it.' });
  await expect(failed.getByTestId('delivery-badge')).toContainText('Not delivered: hard bounce');
  await failed.getByTestId('suppression-link').click();
  await page.waitForURL('**/contacts/history?email=*');
  await hydrated(page);
  await expect(page.getByTestId('history-state')).toContainText('refused now');
  const entry = page.getByTestId('history-entry').first();
  await expect(entry).toContainText('hard bounce');
  await expect(entry.getByTestId('history-scope')).toHaveText('account');
  await expect(entry.getByTestId('history-scope-why')).toContainText('this account only');
  await expect(entry.getByTestId('history-diagnostic')).toContainText('User unknown');
  await entry.getByTestId('raw-notice-toggle').click();
  const rawNotice = entry.getByTestId('raw-notice');
  await expect(rawNotice).toBeVisible();
  // The notice is shown as text: its markup is visible, never run.
  await expect(rawNotice).toContainText('<script>alert("x")</script>');
  await expect(rawNotice).toContainText('Recipient address rejected');
  // Agents cannot reactivate; admins can, right here, with a reason.
  await expect(page.getByTestId('history-reactivate')).toHaveCount(0);

  await login(page, 'admin@acme.test');
  await page.goto(`/contacts/history?email=${encodeURIComponent(customer)}`);
  await hydrated(page);
  const form = page.getByTestId('history-reactivate');
  await form.getByLabel('Reason').fill('Customer fixed the typo by phone');
  await form.getByRole('button', { name: 'Reactivate' }).click();
  await expect(page.getByTestId('history-state')).toContainText('allowed now');
  // An account entry ends when reactivated (the reason is kept in Org Logging).
  await expect(page.getByTestId('history-entry').first()).toHaveAttribute('data-active', 'false');
});

test('the threshold what-if changes as the admin moves the slider', async ({ page, request }) => {
  const { raw } = spamMessage(`whatif-${Date.now()}`);
  const r = await request.post('/inbound/raw', {
    headers: { Authorization: AUTH, 'Content-Type': 'message/rfc822' },
    data: raw,
  });
  expect(r.status()).toBe(201);
  await login(page, 'admin@acme.test');
  await page.goto('/apps/channels/email');
  await hydrated(page);
  const panel = page.getByTestId('what-if');
  const then = panel.getByTestId('what-if-then');
  const now = Number(await panel.getByTestId('what-if-now').innerText());
  expect(now).toBeGreaterThanOrEqual(1);
  await expect(then).toHaveText(String(now));
  const slider = panel.getByTestId('what-if-slider');
  await slider.fill('0');
  await expect(panel.getByTestId('what-if-result')).toHaveAttribute('data-threshold', '0');
  await expect(then).toHaveText('0');
  await expect(panel.getByTestId('what-if-change')).toContainText('fewer');
  await slider.fill('0.5');
  await expect(panel.getByTestId('what-if-result')).toHaveAttribute('data-threshold', '0.5');
  const low = Number(await then.innerText());
  expect(low).toBeGreaterThanOrEqual(now);
  await expect(panel.getByTestId('what-if-flagged-spam')).toContainText('caught');
});

test('an allowed domain is never marked spam by score, and Org Logging says so', async ({ page, request }) => {
  const domain = `partner-${Date.now()}.example`;
  await login(page, 'admin@acme.test');
  await page.goto('/settings/administration/spam-filters');
  await hydrated(page);
  const form = page.getByTestId('allow-form');
  await form.getByLabel('Address or domain to allow').fill(domain);
  await form.getByLabel('Reason for allowing').fill('our reseller');
  await form.getByRole('button', { name: 'Allow' }).click();
  await expect(page.getByTestId('allow-row').filter({ hasText: domain })).toBeVisible();

  const { raw, subject } = spamMessage(`allowed-${Date.now()}`, `deals@${domain}`);
  const r = await request.post('/inbound/raw', {
    headers: { Authorization: AUTH, 'Content-Type': 'message/rfc822' },
    data: raw,
  });
  expect(r.status()).toBe(201);
  const body = await r.json();
  expect(body.spam).toBe(false);

  await page.goto('/conversations?status=open');
  await expect(page.getByTestId('conversation-list')).toContainText(subject);
  await page.goto(`/org-logging?kind=allowlist_override&subject=deals%40${domain}`);
  const row = page.getByTestId('log-row').first();
  await expect(row).toContainText('allowlist override');
  await expect(row).toContainText(domain);
  // The CSV export has the same entries, for the admin.
  const csv = await page.request.get(`/org-logging/export.csv?kind=allowlist_override`);
  expect(csv.status()).toBe(200);
  expect(csv.headers()['content-type']).toContain('text/csv');
  expect(await csv.text()).toContain(`deals@${domain}`);

  // Clean up, so other specs' spam stays spam.
  await page.goto('/settings/administration/spam-filters');
  await hydrated(page);
  await page.getByRole('button', { name: `Remove ${domain} from the allowlist` }).click();
  await expect(page.getByTestId('allow-row').filter({ hasText: domain })).toHaveCount(0);
});

test('agents cannot export Org Logging', async ({ page }) => {
  await login(page, 'agent@acme.test');
  const csv = await page.request.get('/org-logging/export.csv');
  expect(csv.status()).toBe(403);
});
