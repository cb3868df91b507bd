-- One index on delivery_events' recipient instead of two: the quorum read of hard bounces
-- (issue 16) had a partial index of its own, (recipient, received_at) WHERE category =
-- 'hard_bounce', beside the plain (recipient) one, so every hard bounce stored updated both.
-- (recipient, category, received_at) serves the look-ups by recipient (its first column) and
-- the quorum read (recipient and category fixed, the time a range in the index).
DROP INDEX delivery_events_hard_bounces;
DROP INDEX delivery_events_recipient;
CREATE INDEX delivery_events_recipient ON delivery_events (recipient, category, received_at);
