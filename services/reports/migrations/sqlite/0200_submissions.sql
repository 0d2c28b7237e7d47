-- Reports submitted up the tree: which report, from which organisation to
-- which (its parent on the day it was submitted), for which period, the
-- day it was submitted and the deadline the rule in force gave (with its
-- citation), late or not. A unit may submit again (a corrected report):
-- the latest submission for a period counts.
CREATE TABLE submissions (
    id                  TEXT PRIMARY KEY,
    report_id           TEXT NOT NULL REFERENCES reports (id),
    organization_id     TEXT NOT NULL,
    to_organization_id  TEXT NOT NULL,
    period_start        TEXT NOT NULL,
    period_end          TEXT NOT NULL,
    submitted_date      TEXT NOT NULL,
    due_date            TEXT NOT NULL,
    late                BIGINT NOT NULL,
    deadline_rule       TEXT NOT NULL,
    submit_micros       BIGINT NOT NULL,
    submitted_by        TEXT NOT NULL
);
CREATE INDEX submissions_by_parent
    ON submissions (to_organization_id, period_start, period_end, submit_micros);
