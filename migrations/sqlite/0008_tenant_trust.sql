-- Tenant trust (issue 16): no account's word alone reaches another account.
--
-- Every delivery event records how we know what it says (its provenance: the transport's own
-- reply, our VERP return path, a provider or Message-ID match, an operator-configured
-- signature, or only an account's credential) and the return path it came back to. A
-- suppression holds for every account (account_id NULL) only on a basis no single account
-- controls: our shared transport's own evidence, or hard bounces from several accounts
-- (`confirmations` of them). Times are epoch milliseconds.
ALTER TABLE delivery_events ADD COLUMN provenance TEXT;
ALTER TABLE delivery_events ADD COLUMN return_path TEXT;
ALTER TABLE suppressions ADD COLUMN basis TEXT CHECK (basis IN ('shared_transport', 'quorum'));
ALTER TABLE suppressions ADD COLUMN confirmations INTEGER;
CREATE INDEX delivery_events_hard_bounces ON delivery_events (recipient, received_at) WHERE category = 'hard_bounce';

-- A sender address may use the deployment's shared transport (configured by the operator with
-- `serve` options; the account never sees its credentials or envelope). The transport column
-- then says 'smtp' and the relay columns stay empty. Each message remembers whether it went
-- out that way (a bounce of it is the shared transport's evidence).
ALTER TABLE sender_addresses ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN shared_transport INTEGER NOT NULL DEFAULT 0;

-- Reputation counts accounts, not clicks: one vote per (account, conversation) for spam /
-- not spam (the latest flag), one per (account, domain) for a block.
-- ballot: 'conversation:<id>' or 'block'; vote: 'spam', 'clean' or 'block'.
CREATE TABLE domain_votes (
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    domain      TEXT NOT NULL,
    ballot      TEXT NOT NULL,
    vote        TEXT NOT NULL CHECK (vote IN ('spam', 'clean', 'block')),
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, domain, ballot)
);
CREATE INDEX domain_votes_domain ON domain_votes (domain);

-- The votes behind today's history, from Org Logging (who flagged what, in which account).
-- The old per-click counters in sender_domain_history are no longer read.
INSERT INTO domain_votes (account_id, domain, ballot, vote, updated_at)
SELECT o.account_id, lower(substr(o.subject, instr(o.subject, '@') + 1)),
       'conversation:' || json_extract(o.details, '$.conversation_id'),
       CASE o.kind WHEN 'marked_spam' THEN 'spam' ELSE 'clean' END, o.logged_at
FROM org_log o
WHERE o.kind IN ('marked_spam', 'marked_not_spam') AND o.account_id IS NOT NULL
  AND instr(o.subject, '@') > 0 AND json_extract(o.details, '$.conversation_id') IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM org_log o2 WHERE o2.account_id = o.account_id
      AND o2.kind IN ('marked_spam', 'marked_not_spam')
      AND json_extract(o2.details, '$.conversation_id') = json_extract(o.details, '$.conversation_id')
      AND (o2.logged_at > o.logged_at OR (o2.logged_at = o.logged_at AND o2.id > o.id)))
ON CONFLICT DO NOTHING;
INSERT INTO domain_votes (account_id, domain, ballot, vote, updated_at)
SELECT b.account_id, lower(substr(b.value, instr(b.value, '@') + 1)), 'block', 'block', max(b.added_at)
FROM block_list b WHERE b.account_id IS NOT NULL
GROUP BY b.account_id, lower(substr(b.value, instr(b.value, '@') + 1))
ON CONFLICT DO NOTHING;

-- Today's global entries, re-scoped by the same rules. Nothing went out through a shared
-- transport before this migration, so only the quorum can keep an entry global: a hard bounce
-- reported by at least 2 accounts within the last 90 days. Every other global entry with a
-- source event becomes an entry of the account that reported it.
CREATE TEMPORARY TABLE rescoped AS
SELECT s.id AS id, e.account_id AS reporter, s.address AS address, s.kind AS kind,
       (SELECT count(DISTINCT h.account_id) FROM delivery_events h
         WHERE h.recipient = s.address AND h.category = 'hard_bounce'
           AND h.received_at > CAST(strftime('%s', 'now') AS INTEGER) * 1000 - 7776000000) AS accounts
FROM suppressions s JOIN delivery_events e ON e.id = s.event_id
WHERE s.account_id IS NULL AND s.basis IS NULL;

UPDATE suppressions SET basis = 'quorum',
    confirmations = (SELECT r.accounts FROM rescoped r WHERE r.id = suppressions.id)
WHERE id IN (SELECT id FROM rescoped WHERE kind = 'hard_bounce' AND accounts >= 2);
UPDATE suppressions SET account_id = (SELECT r.reporter FROM rescoped r WHERE r.id = suppressions.id)
WHERE id IN (SELECT id FROM rescoped WHERE NOT (kind = 'hard_bounce' AND accounts >= 2));

-- A contact changes only through its own account's events: contacts another account's event
-- marked are active again (a global entry still holds at the gate). List memberships an old
-- global bounce removed cannot be told apart from removals by hand: they stay off.
UPDATE contacts SET status = 'active', status_until = NULL, status_reason = NULL, status_event_id = NULL
WHERE status_event_id IS NOT NULL
  AND status_event_id IN (SELECT e.id FROM delivery_events e WHERE e.account_id <> contacts.account_id);

-- One Org Logging entry per re-scoped entry, in the reporting account's log.
INSERT INTO org_log (account_id, logged_at, kind, actor, subject, details, event_id)
SELECT r.reporter, CAST(strftime('%s', 'now') AS INTEGER) * 1000, 'suppression_rescoped', 'system',
       r.address,
       json_object('suppression_id', r.id, 'kind', r.kind,
           'scope', CASE WHEN r.kind = 'hard_bounce' AND r.accounts >= 2 THEN 'global' ELSE 'account' END,
           'basis', CASE WHEN r.kind = 'hard_bounce' AND r.accounts >= 2 THEN 'quorum' END,
           'accounts', r.accounts,
           'why', 'migration 0008: a global entry needs our shared transport''s evidence or hard bounces from 2 accounts within 90 days'),
       s.event_id
FROM rescoped r JOIN suppressions s ON s.id = r.id
ORDER BY r.id;
DROP TABLE rescoped;
