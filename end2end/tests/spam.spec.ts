import { test, expect, login, hydrated } from './fixtures';
import * as fs from 'fs';
import * as path from 'path';

const AUTH = 'Basic ' + Buffer.from('acme-webhooks:acme-demo-webhook-secret').toString('base64');
// A real spam message from the labelled corpus (see server/tests/fixtures/spam/README.md).
const SPAM_FILE = path.join(
  __dirname, '..', '..', 'server', 'tests', 'fixtures', 'spam', 'spam',
  'spam-2-00089-1235261e1b2063edce03a18d06c11474.eml',
);

/** The corpus spam message with a fresh Message-ID and subject, so each post is a new message. */
function spamMessage(tag: string): { raw: Buffer; subject: string } {
  const subject = `Spam sample ${tag}`;
  const original = fs.readFileSync(SPAM_FILE, 'latin1');
  const [head, ...rest] = original.split(/\r?\n\r?\n/);
  const kept = head
    .split(/\r?\n(?![ \t])/)
    .filter((h) => !/^(message-id|subject):/i.test(h))
    .join('\r\n');
  const raw = `Message-ID: <${tag}@e2e.spam.example>\r\nSubject: ${subject}\r\n${kept}\r\n\r\n${rest.join('\r\n\r\n')}`;
  return { raw: Buffer.from(raw, 'latin1'), subject };
}

function postmarkInbound(from: string, subject: string, text: string, id: string) {
  return {
    From: from,
    FromName: 'Sender',
    FromFull: { Email: from, Name: 'Sender', MailboxHash: '' },
    To: 'support@acme.test',
    ToFull: [{ Email: 'support@acme.test', Name: '', MailboxHash: '' }],
    Subject: subject,
    MessageID: id,
    Date: new Date().toUTCString(),
    TextBody: text,
    HtmlBody: '',
    Headers: [],
    Attachments: [],
  };
}

test.describe.configure({ mode: 'serial' });

test('spam arrives, lands in Done with Spam: true, and search spam:true finds it', async ({ page, request }) => {
  const { raw, subject } = spamMessage(`arrives-${Date.now()}`);
  const r = await request.post('/inbound/raw', {
    headers: { Authorization: AUTH, 'Content-Type': 'message/rfc822' },
    data: raw,
  });
  expect(r.status()).toBe(201);
  const body = await r.json();
  expect(body.spam).toBe(true);

  await login(page, 'agent@acme.test');
  await expect(page.getByTestId('conversation-list')).not.toContainText(subject);
  await page.goto('/conversations?status=done');
  const row = page.getByTestId('conversation-row').filter({ hasText: subject });
  await expect(row).toContainText('Spam');
  await row.getByRole('link', { name: subject }).click();
  await expect(page.getByTestId('status')).toHaveText('done');
  await expect(page.getByTestId('attributes')).toContainText('Spam: true');
  await page.getByTestId('spam-score').hover();
  await expect(page.getByTestId('spam-rules')).toContainText(/BAYES_9\d/);
  await expect(page.getByTestId('spam-rules')).toContainText('MONEY_SOME');

  await page.goto('/conversations');
  await hydrated(page);
  await page.getByLabel('Search conversations').fill('spam:true');
  await page.getByLabel('Search conversations').press('Enter');
  await expect(page.getByTestId('conversation-list')).toContainText(subject);
  await expect(page.getByTestId('conversation-list')).toContainText('CONGRATULATIONS');

  // Reporting leaves spam out and says how much.
  await page.goto('/reporting');
  await expect(page.locator('body')).toContainText(/spam/i);
});

test('an agent marks a conversation as spam from the ⋯ menu; the sender shows on Spam Filters', async ({ page }) => {
  await login(page, 'agent@acme.test');
  await page.getByRole('link', { name: 'Tracking number not working' }).click();
  await hydrated(page);
  await expect(page.getByTestId('status')).toHaveText('open');
  await page.getByRole('button', { name: 'More actions' }).click();
  await page.getByRole('menuitem', { name: 'Mark as spam' }).click();
  await expect(page.getByTestId('status')).toHaveText('done');
  await expect(page.getByTestId('attributes')).toContainText('Spam: true');
  await expect(page.getByTestId('sender-blocked')).toContainText('ana.silva@example.com');
  const url = page.url();

  await login(page, 'admin@acme.test');
  await page.goto('/settings/administration/spam-filters');
  const row = page.locator('tr[data-value="ana.silva@example.com"]');
  await expect(row).toContainText('agent@acme.test');
  await expect(row).toContainText('marked as spam');

  // "Not spam" asks whether to unblock, reopens, and takes the sender off the list.
  await page.goto(url);
  await hydrated(page);
  await page.getByRole('button', { name: 'More actions' }).click();
  await page.getByRole('menuitem', { name: 'Not spam' }).click();
  await page.getByRole('button', { name: 'Not spam and unblock' }).click();
  await expect(page.getByTestId('status')).toHaveText('open');
  await expect(page.getByTestId('attributes')).not.toContainText('Spam');
  await page.goto('/settings/administration/spam-filters');
  await expect(page.locator('tr[data-value="ana.silva@example.com"]')).toHaveCount(0);

  await page.goto('/org-logging?kind=marked_spam');
  await expect(page.getByTestId('org-log')).toContainText('ana.silva@example.com');
  await page.goto('/org-logging?kind=marked_not_spam');
  await expect(page.getByTestId('org-log')).toContainText('ana.silva@example.com');
});

test('an admin blocks a domain and the next message from it is held', async ({ page, request, allowConsole }) => {
  allowConsole(/422/); // the refused entry is a 422 from the server function
  await login(page, 'admin@acme.test');
  await page.goto('/settings/administration/spam-filters');
  await hydrated(page);
  const form = page.getByTestId('block-form');
  await form.getByLabel('Address or domain').fill('not a domain');
  await form.getByRole('button', { name: 'Block' }).click();
  await expect(page.getByRole('alert')).toContainText('not a domain name');
  await form.getByLabel('Address or domain').fill('pushy-vendor.test');
  await form.getByLabel('Reason').fill('cold sales, asked to stop');
  await form.getByRole('button', { name: 'Block' }).click();
  await expect(page.locator('tr[data-value="pushy-vendor.test"]')).toContainText('domain and subdomains');

  const subject = `Partnership opportunity ${Date.now()}`;
  const r = await request.post('/inbound/postmark', {
    headers: { Authorization: AUTH },
    data: postmarkInbound('ceo@mail.pushy-vendor.test', subject, 'Hi, can we book a call this week?', `blocked-${Date.now()}`),
  });
  expect(r.status()).toBe(201);
  const body = await r.json();
  expect(body.spam).toBe(true);
  expect(body.action.reason).toBe('blocked_sender');

  await page.goto('/conversations');
  await expect(page.getByTestId('conversation-list')).not.toContainText(subject);
  await page.goto('/conversations?status=done');
  await expect(page.getByTestId('conversation-row').filter({ hasText: subject })).toContainText('Spam');
  await page.goto('/org-logging?kind=blocked_sender');
  await expect(page.getByTestId('org-log')).toContainText('ceo@mail.pushy-vendor.test');
});

test('threshold 0 lets everything through; bad values are refused; changes are logged', async ({ page, request, allowConsole }) => {
  allowConsole(/422/); // the refused value is a 422 from the server function
  await login(page, 'admin@acme.test');
  // The demo's admin tried 6 for two days: count from here.
  await page.goto('/org-logging?kind=spam_threshold_changed');
  await expect(page.getByTestId('org-log')).toBeVisible();
  const before = await page.getByTestId('log-row').count();
  await page.goto('/apps/channels/email');
  await hydrated(page);
  const panel = page.getByTestId('spam-threshold');
  await expect(panel.getByTestId('inbound-addresses')).toContainText('support@acme.test');
  await panel.getByTestId('threshold-input').fill('lots');
  await panel.getByRole('button', { name: 'Save' }).click();
  await expect(panel.getByRole('alert')).toContainText('is not a number');
  await panel.getByTestId('threshold-input').fill('0');
  await panel.getByRole('button', { name: 'Save' }).click();
  await expect(panel.getByTestId('threshold-current')).toHaveText('Filtering is off');

  const { raw, subject } = spamMessage(`through-${Date.now()}`);
  const r = await request.post('/inbound/raw', {
    headers: { Authorization: AUTH, 'Content-Type': 'message/rfc822' },
    data: raw,
  });
  expect(r.status()).toBe(201);
  expect((await r.json()).spam).toBe(false);
  await page.goto('/conversations');
  await expect(page.getByTestId('conversation-list')).toContainText(subject);

  // Back to the default for whoever runs next.
  await page.goto('/apps/channels/email');
  await hydrated(page);
  await panel.getByTestId('threshold-input').fill('5');
  await panel.getByRole('button', { name: 'Save' }).click();
  await expect(panel.getByTestId('threshold-current')).toHaveText('Current threshold: 5');
  await page.goto('/org-logging?kind=spam_threshold_changed');
  await expect(page.getByTestId('log-row')).toHaveCount(before + 2);
});

test('an agent cannot reach Spam Filters nor change the threshold', async ({ page, allowConsole }) => {
  allowConsole(/403/);
  await login(page, 'agent@acme.test');
  const resp = await page.goto('/settings/administration/spam-filters');
  expect(resp?.status()).toBe(403);
  const api = await page.request.post('/api/admin/spam-threshold', { form: { value: '0' } });
  expect(api.status()).toBe(403);
  const block = await page.request.post('/api/admin/block', { form: { value: 'x.test', reason: '' } });
  expect(block.status()).toBe(403);
});
