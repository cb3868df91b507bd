-- Mail edges (issue 17).

-- Authentication-Results of mail that arrives over HTTP are read only from a forwarder the
-- account names here (authserv-ids, one per line); empty trusts none.
ALTER TABLE accounts ADD COLUMN trusted_authserv_ids TEXT NOT NULL DEFAULT '';

-- The SNS topic the account's SES notifications come from; messages from any other topic are
-- refused. NULL: SES webhooks are refused until it is set.
ALTER TABLE webhook_credentials ADD COLUMN sns_topic_arn TEXT;

-- Signed webhook deliveries already taken (Mailgun's signature token), so a captured request
-- cannot be played again while its timestamp is still fresh. Rows older than the freshness
-- window are deleted as new ones arrive.
CREATE TABLE webhook_replays (
    provider    TEXT NOT NULL,
    token       TEXT NOT NULL,
    account_id  BIGINT NOT NULL REFERENCES accounts(id),
    seen_at     BIGINT NOT NULL,
    PRIMARY KEY (provider, token)
);
CREATE INDEX webhook_replays_seen_at ON webhook_replays (seen_at);

-- Campaign mail names each recipient's message by its own random key (Message-ID and VERP
-- return path), no longer by the unsubscribe token: anyone who saw the headers could use it.
-- unsubscribe_token now holds the SHA-256 (hex) of the token; the token itself is only in the
-- message. Rows from before keep their old token as the message key (bounces of mail already
-- sent still find it), and the server hashes their tokens after migrating (64 hex digits
-- against the old 32).
ALTER TABLE campaign_recipients ADD COLUMN message_key TEXT;
UPDATE campaign_recipients SET message_key = unsubscribe_token;
