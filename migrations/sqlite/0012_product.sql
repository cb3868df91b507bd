-- The product's controls (issue 18).

-- Allowed senders: an address, or a domain with its subdomains, whose mail is never marked
-- spam by its score (the block list still wins). Per account.
CREATE TABLE allow_list (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    kind        TEXT NOT NULL CHECK (kind IN ('address', 'domain')),
    value       TEXT NOT NULL,
    added_by    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    added_at    INTEGER NOT NULL,
    UNIQUE (account_id, value)
);

-- The threshold what-if reads the last 30 days' inbound scores of one account, grouped by
-- score: the index holds them in score order (no sort for the GROUP BY) with the time beside
-- (the window is checked in the index), so the scan never visits the table.
CREATE INDEX messages_inbound_scores ON messages (account_id, direction, spam_score_centi, created_at);
-- … and the conversations agents flagged (few), by the same account and window.
CREATE INDEX messages_trained ON messages (account_id, created_at) WHERE trained_as IS NOT NULL;
