import { test, expect, login, hydrated } from './fixtures';

const AUTH = 'Basic ' + Buffer.from('acme-webhooks:acme-demo-webhook-secret').toString('base64');

async function openConversation(page, subject: string) {
  await page.goto('/conversations?status=all');
  await page.getByRole('link', { name: subject }).click();
  await hydrated(page);
  // The timeline loads after navigation; every conversation has at least one message.
  await expect(page.getByTestId('message').first()).toBeVisible();
}

async function reply(page, text: string) {
  await page.getByLabel('Reply').fill(text);
  await page.getByRole('button', { name: 'Send reply' }).click();
}

/** An RFC 3464 hard bounce for the message with `messageId`, as the recipient's MTA sends it. */
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
    'Your message could not be delivered to one or more recipients.',
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

test('an agent replies and sees it accepted; a hard bounce later turns it red with details', async ({ page, request }) => {
  await login(page, 'agent@acme.test');
  await openConversation(page, 'Bulk discount for 40 units?');
  await reply(page, 'Hi Tom, the quote is valid for 30 days.');
  const sent = page.getByTestId('message').filter({ hasText: 'the quote is valid for 30 days' });
  await expect(sent.getByTestId('delivery')).toHaveAttribute('data-state', 'accepted');
  await expect(sent.getByTestId('delivery')).toContainText('Accepted by relay 127.0.0.1');

  const messageId = await sent.getAttribute('data-message-id');
  expect(messageId).toMatch(/@acme\.test$/);
  const r = await request.post('/bounces/raw', {
    headers: { Authorization: AUTH, 'Content-Type': 'message/rfc822' },
    data: hardBounceDsn('tom.baker@example.org', messageId!),
  });
  expect(r.status()).toBe(200);

  await page.reload();
  await hydrated(page);
  const failed = page.getByTestId('message').filter({ hasText: 'the quote is valid for 30 days' });
  const badge = failed.getByTestId('delivery-badge');
  await expect(badge).toContainText('Not delivered: hard bounce');
  const details = failed.getByTestId('delivery-details');
  await expect(details).toBeHidden();
  await badge.hover();
  await expect(details).toBeVisible();
  await expect(details).toContainText('SMTP code: 550 5.1.1');
  await expect(details).toContainText('User unknown');
  await expect(details).toContainText('check the spelling');
  // Keyboard users get the same details on focus.
  await page.mouse.move(0, 0);
  await badge.focus();
  await expect(details).toBeVisible();
});

test('replying to a suppressed address shows why, and nothing is sent', async ({ page, allowConsole }) => {
  allowConsole(/422/); // the refused reply is a 422 from the server function
  // Tom hard-bounced in the previous test: the gate now refuses.
  await login(page, 'agent@acme.test');
  await openConversation(page, 'Bulk discount for 40 units?');
  const before = await page.getByTestId('message').count();
  await reply(page, 'Did you get the quote?');
  const error = page.getByTestId('reply-error');
  await expect(error).toContainText('tom.baker@example.org is suppressed (hard bounce) for this account');
  await expect(error).toContainText('reactivate');
  await page.reload();
  await expect(page.getByTestId('message')).toHaveCount(before);
});

test('a 452 at send time shows the message as deferred with its retry time', async ({ page, request }) => {
  const r = await request.post('/inbound/postmark', {
    headers: { Authorization: AUTH },
    data: {
      From: 'full.mailbox@example.net', FromFull: { Email: 'full.mailbox@example.net', Name: 'Full Mailbox' },
      To: 'support@acme.test', Subject: 'Question about my invoice', MessageID: `full-${Date.now()}`,
      TextBody: 'Can you resend my invoice?', Headers: [], Attachments: [],
    },
  });
  expect(r.status()).toBe(201);
  await login(page, 'agent@acme.test');
  await openConversation(page, 'Question about my invoice');
  await reply(page, 'Here it is again.');
  const sent = page.getByTestId('message').filter({ hasText: 'Here it is again.' });
  await expect(sent.getByTestId('delivery')).toHaveAttribute('data-state', 'deferred');
  await expect(sent.getByTestId('delivery-badge')).toContainText('Deferred, retrying at');
});

test('the complaint-rate chart renders on Apps > Channels > Email with the 0.1 % line', async ({ page }) => {
  await login(page, 'admin@acme.test');
  await page.goto('/apps/channels/email');
  await hydrated(page);
  const panel = page.getByTestId('complaint-rate');
  await expect(panel.getByTestId('rate-chart')).toBeVisible();
  await expect(panel.getByTestId('rate-limit-line')).toHaveCount(1);
  const points = await panel.getByTestId('rate-line').getAttribute('points');
  expect(points!.trim().split(' ')).toHaveLength(30);
  await expect(panel.getByTestId('rate-value')).toContainText('sent in the last 30 days');
  await expect(panel.getByTestId('events-by-category')).toContainText('hard bounce');
  // The first test of this file replied to tom.baker@example.org: its domain has a rate row.
  const domainRow = panel.getByTestId('domain-rates').locator('tr[data-domain="example.org"]');
  await expect(domainRow).toHaveCount(1);
  await expect(domainRow.locator('td').nth(1)).not.toHaveText('0');
  await expect(domainRow.locator('td').nth(3)).toContainText('%');
  await expect(page.getByTestId('sender-list')).toContainText('support@acme.test');
});

test('a campaign skips suppressed contacts, reports the count, and hard bounces leave the list', async ({ page }) => {
  // tom.baker@example.org hard-bounced in the first test of this file (suppressed in Acme).
  await login(page, 'admin@acme.test');
  await page.goto('/apps/campaigns');
  await hydrated(page);
  const lists = page.getByTestId('list-form');
  await lists.getByLabel('List name').fill('Winter promo');
  await lists.getByLabel('Addresses (one per line)').fill(
    'tom.baker@example.org\npriya@startup.example\nlena.schmidt@example.de\nnobody.here@example.com',
  );
  await lists.getByRole('button', { name: 'Create list' }).click();
  await expect(page.locator('tr[data-name="Winter promo"]')).toContainText('4 contacts');

  const form = page.getByTestId('new-campaign');
  await form.getByLabel('List').selectOption({ label: 'Winter promo (4 contacts)' });
  await form.getByLabel('Subject').fill('Our winter blend is here');
  await form.getByLabel('Text').fill('Fresh beans from Huila, roasted this week.');
  await form.getByRole('button', { name: 'Send campaign' }).click();
  await expect(page.getByTestId('campaign-prepared')).toContainText('4 contacts, 1 suppressed addresses removed, 3 queued');

  // Progress updates by itself until the campaign is sent.
  const row = page.getByTestId('campaign-row').filter({ hasText: 'Our winter blend is here' });
  await expect(row).toHaveAttribute('data-status', 'sent');
  await expect(row.getByTestId('campaign-progress')).toHaveText('2 sent of 3');
  await expect(row.getByTestId('campaign-skipped')).toHaveText('1');
  await expect(row.getByTestId('campaign-failed')).toHaveText('1');
  // nobody.here@ got 550 5.1.1: off the list, and marked in Contacts.
  await expect(page.locator('tr[data-name="Winter promo"]')).toContainText('3 contacts');
  await page.goto('/contacts?q=nobody.here%40example.com');
  await expect(page.locator('tr[data-email="nobody.here@example.com"]').getByTestId('contact-status')).toHaveText(/hard bounce/);
});
