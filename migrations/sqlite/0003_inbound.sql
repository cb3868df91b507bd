-- Inbound mail (issue 5): inbound addresses, the spam threshold, block lists, the accounts'
-- classifier overlays, sending-domain history, and each inbound message's spam score.
-- Times are epoch milliseconds; scores and thresholds are hundredths of a point.

ALTER TABLE accounts ADD COLUMN spam_threshold_centi INTEGER NOT NULL DEFAULT 500;

-- The addresses an account receives mail at (the SMTP listener accepts only these).
CREATE TABLE inbound_addresses (
    address     TEXT PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    created_at  INTEGER NOT NULL
);
CREATE INDEX inbound_addresses_account ON inbound_addresses (account_id);

-- Blocked senders: an address, or a domain with its subdomains.
CREATE TABLE block_list (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    kind        TEXT NOT NULL CHECK (kind IN ('address', 'domain')),
    value       TEXT NOT NULL,
    added_by    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    added_at    INTEGER NOT NULL,
    UNIQUE (account_id, value)
);

-- What agents taught the classifier in this account (spam / not spam flags).
CREATE TABLE account_spam_models (
    account_id  INTEGER PRIMARY KEY REFERENCES accounts(id),
    model       BLOB NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- This deployment's history with each sending domain, for reputation.
CREATE TABLE sender_domain_history (
    domain              TEXT PRIMARY KEY,
    spam_flags          INTEGER NOT NULL DEFAULT 0,
    blocks              INTEGER NOT NULL DEFAULT 0,
    complaints          INTEGER NOT NULL DEFAULT 0,
    clean_conversations INTEGER NOT NULL DEFAULT 0,
    updated_at          INTEGER NOT NULL
);

-- inbound_key makes a redelivered message a no-op (provider id, Message-ID or digest).
ALTER TABLE messages ADD COLUMN inbound_key TEXT;
ALTER TABLE messages ADD COLUMN spam_score_centi INTEGER;
-- JSON: [{"name", "points", "description"}], highest points first.
ALTER TABLE messages ADD COLUMN spam_rules TEXT;
-- 'spam' or 'ham' once an agent's flag trained the account's classifier on it.
ALTER TABLE messages ADD COLUMN trained_as TEXT;
CREATE UNIQUE INDEX messages_inbound_key ON messages (account_id, inbound_key);
CREATE INDEX conversations_contact ON conversations (account_id, contact_id, updated_at);
