-- Campaigns (issue 6): contact lists, a campaign sending one message to a list through a bulk
-- sender address, and each recipient's fate (queued, sent, failed, or skipped because the
-- address is suppressed). Times are epoch milliseconds.

CREATE TABLE contact_lists (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE contact_list_members (
    list_id     INTEGER NOT NULL REFERENCES contact_lists(id) ON DELETE CASCADE,
    contact_id  INTEGER NOT NULL REFERENCES contacts(id),
    added_at    INTEGER NOT NULL,
    PRIMARY KEY (list_id, contact_id)
);
CREATE INDEX contact_list_members_contact ON contact_list_members (contact_id);

CREATE TABLE campaigns (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id          INTEGER NOT NULL REFERENCES accounts(id),
    list_id             INTEGER NOT NULL REFERENCES contact_lists(id),
    sender_id           INTEGER NOT NULL REFERENCES sender_addresses(id),
    subject             TEXT NOT NULL,
    body                TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'paused')),
    total               INTEGER NOT NULL,
    skipped_suppressed  INTEGER NOT NULL,
    sent                INTEGER NOT NULL DEFAULT 0,
    failed              INTEGER NOT NULL DEFAULT 0,
    created_by          TEXT NOT NULL,
    created_at          INTEGER NOT NULL,
    finished_at         INTEGER
);
CREATE INDEX campaigns_account ON campaigns (account_id, created_at);

CREATE TABLE campaign_recipients (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id         INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    contact_id          INTEGER NOT NULL REFERENCES contacts(id),
    address             TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped')),
    -- why it was skipped or failed
    detail              TEXT,
    -- the secret in this recipient's List-Unsubscribe URL
    unsubscribe_token   TEXT NOT NULL UNIQUE,
    message_id_header   TEXT,
    -- attempts so far; a 4xx defers the next one (backoff), then it is a soft bounce
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER,
    sent_at             INTEGER
);
CREATE INDEX campaign_recipients_queue ON campaign_recipients (campaign_id, status, id);
