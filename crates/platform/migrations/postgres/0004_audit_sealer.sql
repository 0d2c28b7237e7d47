-- Writes no longer take the chain head. A write adds its entries here, in
-- its own transaction, with the id of that transaction; the sealer (one at
-- a time, across replicas: it alone locks `audit_head`) moves entries whose
-- transactions are all finished — txid below the oldest still running —
-- into `audit_log`, chaining them in order. See crates/platform/src/audit.
CREATE TABLE audit_pending (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid          BIGINT NOT NULL DEFAULT txid_current(),
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
