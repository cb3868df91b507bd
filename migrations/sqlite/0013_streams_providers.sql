-- Streams and the guardrail per mailbox provider (issue 18).

-- The mail a suppression stops: 'all' (replies and campaigns) or 'campaign' (campaigns only).
-- Existing entries keep today's behaviour: unsubscribes stopped campaigns only, everything
-- else stopped all mail.
ALTER TABLE suppressions ADD COLUMN stream TEXT NOT NULL DEFAULT 'all' CHECK (stream IN ('all', 'campaign'));
UPDATE suppressions SET stream = 'campaign' WHERE kind = 'unsubscribe';

-- The campaign message a delivery event is about (by its Message-ID or VERP return path), so a
-- complaint about a campaign stops campaigns only.
ALTER TABLE delivery_events ADD COLUMN campaign_recipient_id INTEGER REFERENCES campaign_recipients(id) ON DELETE SET NULL;
CREATE INDEX campaign_recipients_message_id ON campaign_recipients (message_id_header);
CREATE INDEX campaign_recipients_message_key ON campaign_recipients (message_key);

-- Bulk sending to one mailbox provider (gmail, microsoft, yahoo, apple, gmx_webde, other)
-- paused by the guardrail when that provider's complaint rate reached the pause line. A pause
-- holds until an admin resumes it (resumed_at set).
CREATE TABLE provider_pauses (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts(id),
    provider        TEXT NOT NULL,
    paused_at       INTEGER NOT NULL,
    sent            INTEGER NOT NULL,
    complaints      INTEGER NOT NULL,
    resumed_at      INTEGER,
    resumed_by      TEXT,
    resume_reason   TEXT
);
CREATE INDEX provider_pauses_account ON provider_pauses (account_id, provider);
