-- Tenant trust and security, the last gaps (issues 16 and 17).

-- The per-click domain counters were replaced by domain_votes in 0008 (one vote per account
-- and conversation, one per account and domain for blocks) and nothing reads them any more.
DROP TABLE sender_domain_history;

-- Failed password checks (sign-in and webhook HTTP Basic), counted per client IP and per
-- name in a fixed window, in the database so that every replica of a deployment counts the
-- same failures (in memory, N replicas gave an attacker N times the attempts).
-- scope: 'login' or 'basic'; bucket: 'ip:<address or /64>' or 'name:<lower-cased name>';
-- window_start: when the bucket's window began (ms since 1970); rows whose window ended are
-- deleted as new failures arrive.
CREATE TABLE auth_failures (
    scope        TEXT NOT NULL,
    bucket       TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    failures     INTEGER NOT NULL,
    PRIMARY KEY (scope, bucket)
);
CREATE INDEX auth_failures_window_start ON auth_failures (window_start);
