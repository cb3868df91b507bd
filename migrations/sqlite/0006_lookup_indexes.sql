-- Raw non-delivery notices are matched to the message we sent by its VERP return path
-- (bounces+token@sender-domain). Without an index that look-up read every outbound message
-- of the account.
CREATE INDEX messages_return_path ON messages (account_id, return_path);

-- The batch gate first asks whether the account has any override at all: most have none,
-- and then a million recipients need not be probed against the overrides.
CREATE INDEX suppression_overrides_account ON suppression_overrides (account_id);
