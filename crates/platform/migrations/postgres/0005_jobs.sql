-- Background jobs: work a service must do later or retry (escalations, an
-- outbox of calls to other services). A job is enqueued in the transaction
-- of the write that makes it due, so it exists exactly when the write
-- does; (kind, key) is unique, so a job made twice (a threshold crossed
-- again, a retried write) is one job. One runner per service runs them
-- (crates/platform/src/jobs.rs).
CREATE TABLE jobs (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             TEXT   NOT NULL,
    key              TEXT   NOT NULL,
    payload          BYTEA  NOT NULL,
    state            TEXT   NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    run_after_micros BIGINT NOT NULL,
    last_error       TEXT   NOT NULL DEFAULT '',
    created_micros   BIGINT NOT NULL,
    updated_micros   BIGINT NOT NULL,
    UNIQUE (kind, key)
);
-- The runner's question: what is due now.
CREATE INDEX jobs_due ON jobs (state, run_after_micros);
