-- Writes no longer take the chain head. A write adds its entries here, in
-- its own transaction; the sealer (one at a time: it alone writes
-- `audit_head`) moves them into `audit_log`, chaining them in order. On
-- SQLite writers already take turns, so ids are in commit order and every
-- committed entry can be sealed (txid is always 0). See
-- crates/platform/src/audit.
CREATE TABLE audit_pending (
    id            INTEGER PRIMARY KEY,
    txid          BIGINT NOT NULL DEFAULT 0,
    at_micros     BIGINT NOT NULL,
    caller        TEXT   NOT NULL,
    agency        TEXT   NOT NULL,
    method        TEXT   NOT NULL,
    resource      TEXT   NOT NULL,
    request_id    TEXT   NOT NULL,
    change_digest TEXT   NOT NULL
);

-- Each entry's hash covers a digest of the change as written (entries made
-- before this column have none, and hash as they did).
ALTER TABLE audit_log ADD COLUMN change_digest TEXT NOT NULL DEFAULT '';
