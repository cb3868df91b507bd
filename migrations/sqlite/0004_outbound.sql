-- Outbound (issue 6): the accounts' sender addresses and how each one sends, and what the
-- sending of each outbound message went through. Times are epoch milliseconds.

-- transport 'smtp': a relay (host, port, security none|starttls|tls, optional login);
-- transport 'postmark': a Postmark-compatible HTTP API (base URL + server token).
-- Secrets are stored as given: protect the database (and its backups) accordingly.
CREATE TABLE sender_addresses (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    address        TEXT NOT NULL,
    name           TEXT,
    kind           TEXT NOT NULL CHECK (kind IN ('transactional', 'bulk')),
    transport      TEXT NOT NULL CHECK (transport IN ('smtp', 'postmark')),
    smtp_host      TEXT,
    smtp_port      INTEGER,
    smtp_security  TEXT CHECK (smtp_security IN ('none', 'starttls', 'tls')),
    smtp_username  TEXT,
    smtp_password  TEXT,
    api_url        TEXT,
    api_token      TEXT,
    created_at     INTEGER NOT NULL,
    UNIQUE (account_id, address)
);

ALTER TABLE messages ADD COLUMN sender_id INTEGER REFERENCES sender_addresses(id);
-- The envelope sender (VERP: bounces come back to an address naming the message).
ALTER TABLE messages ADD COLUMN return_path TEXT;
-- Attempts made so far, and when the next one is due (a 4xx deferred it).
ALTER TABLE messages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN next_attempt_at INTEGER;
-- Who accepted it: the recipient's server, a relay, or an API.
ALTER TABLE messages ADD COLUMN accepted_by TEXT;
CREATE INDEX messages_next_attempt ON messages (next_attempt_at);
CREATE INDEX messages_outbound_day ON messages (account_id, direction, created_at);

-- The complaint-rate status last seen for the account (ok / warning / paused), so that a rise
-- is logged once.
ALTER TABLE accounts ADD COLUMN rate_status TEXT NOT NULL DEFAULT 'ok';
