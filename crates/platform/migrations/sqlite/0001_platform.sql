-- The head of the audit hash chain: one row, bumped first by every write
-- transaction, which serialises writers and gives the next sequence number.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT   NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- One row per change, hash-chained (see crates/platform/src/audit.rs).
CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at_micros  BIGINT NOT NULL,
    caller     TEXT   NOT NULL,
    agency     TEXT   NOT NULL,
    method     TEXT   NOT NULL,
    resource   TEXT   NOT NULL,
    request_id TEXT   NOT NULL,
    prev_hash  TEXT   NOT NULL,
    hash       TEXT   NOT NULL
);
CREATE INDEX audit_log_by_resource ON audit_log (resource, seq);

-- The first response to each (caller, method, request_id), for retries.
CREATE TABLE idempotency (
    caller         TEXT   NOT NULL,
    method         TEXT   NOT NULL,
    request_id     TEXT   NOT NULL,
    payload_hash   TEXT   NOT NULL,
    response       BLOB   NOT NULL,
    created_micros BIGINT NOT NULL,
    PRIMARY KEY (caller, method, request_id)
);
