-- The batch gate probes an integer key of each address (EmailAddress::key_hash, a 64-bit
-- hash computed by the application) instead of the text: a million probes of an integer
-- index cost a fraction of a million probes of a text one. A key match is only a
-- candidate; the address itself is compared afterwards, so a collision is harmless.
-- The single-address look-ups use the key and the address, so the text index goes.
--
-- The application writes the key with every new row; rows from before this migration get
-- theirs from the backfill the server runs after migrating (the key index finds the rows
-- without one: it holds NULLs too).
ALTER TABLE suppressions ADD COLUMN address_hash BIGINT;
CREATE INDEX suppressions_address_hash ON suppressions (address_hash);
DROP INDEX suppressions_address;
