-- Security hardening (issue 17). Times are epoch milliseconds.

-- Sessions end after an idle time as well as at expires_at: when each was last used.
ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET last_seen_at = created_at;
CREATE INDEX sessions_expires ON sessions (expires_at);

-- An admin can disable a user of their account: no sign-in, no session (NULL = enabled).
ALTER TABLE users ADD COLUMN disabled_at INTEGER;
