-- A retry of a write whose answer holds restricted content (a declaration's
-- items) is answered by re-reading the resource through the authorized
-- path: its record keeps the resource name and no response.
ALTER TABLE idempotency ADD COLUMN resource TEXT NOT NULL DEFAULT '';
