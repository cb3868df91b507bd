-- Deliverability (issue 4): webhook credentials, delivery events, suppressions, overrides,
-- Org Logging, and delivery status on messages and contacts. Times are epoch milliseconds.

-- One HTTP Basic credential per account for its webhooks; the secret is stored hashed
-- (argon2). The provider keys are what the providers give us to check their signatures.
CREATE TABLE webhook_credentials (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id          INTEGER NOT NULL REFERENCES accounts(id),
    username            TEXT NOT NULL UNIQUE,
    secret_hash         TEXT NOT NULL,
    mailgun_signing_key TEXT,
    sendgrid_public_key TEXT,
    created_at          INTEGER NOT NULL
);
CREATE INDEX webhook_credentials_account ON webhook_credentials (account_id);

-- Every provider event and raw notice, as received. The unique key makes a provider's retry of
-- the same event a no-op (ON CONFLICT DO NOTHING). Unclassifiable notices are kept here with
-- their raw source (category 'unclassified'), never dropped.
CREATE TABLE delivery_events (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id          INTEGER NOT NULL REFERENCES accounts(id),
    provider            TEXT NOT NULL,
    provider_event_id   TEXT NOT NULL,
    category            TEXT NOT NULL,
    reason              TEXT NOT NULL,
    status              TEXT,
    reply_code          INTEGER,
    recipient           TEXT,
    recipient_domain    TEXT,
    diagnostic          TEXT,
    remote_mta          TEXT,
    feedback_type       TEXT,
    evidence_rule       TEXT NOT NULL,
    evidence_source     TEXT NOT NULL,
    provider_message_id TEXT,
    message_id_header   TEXT,
    message_id          INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    occurred_at         INTEGER NOT NULL,
    received_at         INTEGER NOT NULL,
    raw                 BLOB,
    UNIQUE (account_id, provider, provider_event_id)
);
CREATE INDEX delivery_events_domain ON delivery_events (account_id, category, recipient_domain, received_at);
CREATE INDEX delivery_events_recipient ON delivery_events (recipient);

-- Suppression entries. account_id NULL = global (every account). Holds over [since, until);
-- until NULL = until reactivated. released_at is set once, by whoever claims the release
-- (the sweeper, or a reactivation that ended the entry).
CREATE TABLE suppressions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    address     TEXT NOT NULL,
    account_id  INTEGER REFERENCES accounts(id),
    kind        TEXT NOT NULL,
    reason      TEXT NOT NULL,
    since       INTEGER NOT NULL,
    until       INTEGER,
    event_id    INTEGER REFERENCES delivery_events(id),
    released_at INTEGER
);
CREATE INDEX suppressions_address ON suppressions (address);
CREATE INDEX suppressions_unreleased ON suppressions (until) WHERE released_at IS NULL AND until IS NOT NULL;

-- "This account may mail this address despite the global entries set up to `since`."
CREATE TABLE suppression_overrides (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    address     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    since       INTEGER NOT NULL
);
CREATE INDEX suppression_overrides_address ON suppression_overrides (address, account_id);

-- Org Logging: every deliverability event an admin may look at. account_id NULL = not about
-- one account. details is JSON text.
CREATE TABLE org_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER REFERENCES accounts(id),
    logged_at   INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    subject     TEXT NOT NULL,
    details     TEXT NOT NULL,
    event_id    INTEGER REFERENCES delivery_events(id)
);
CREATE INDEX org_log_account_at ON org_log (account_id, logged_at, id);
CREATE INDEX org_log_account_kind ON org_log (account_id, kind, logged_at);
CREATE INDEX org_log_account_subject ON org_log (account_id, subject, logged_at);

-- Delivery status of outbound messages: NULL for inbound ones.
ALTER TABLE messages ADD COLUMN provider_message_id TEXT;
ALTER TABLE messages ADD COLUMN delivery_status TEXT CHECK (delivery_status IN ('pending', 'accepted', 'failed'));
ALTER TABLE messages ADD COLUMN delivered_at INTEGER;
ALTER TABLE messages ADD COLUMN delivery_error TEXT;
CREATE INDEX messages_provider_message_id ON messages (account_id, provider_message_id);

-- Contact badge: status is 'active', 'hard_bounce', 'soft_bounce', 'complaint' or 'inactive'.
ALTER TABLE contacts ADD COLUMN status_until INTEGER;
ALTER TABLE contacts ADD COLUMN status_reason TEXT;
ALTER TABLE contacts ADD COLUMN status_event_id INTEGER;
CREATE INDEX contacts_email ON contacts (email);
