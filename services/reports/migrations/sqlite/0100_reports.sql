-- Issued period reports. A report is stored once, whole (`body`: the
-- protobuf encoding of `probity.reports.v1.PeriodReport`), beside the
-- columns lists and access need; `inputs` keeps the calls it read (JSON),
-- so that VerifyReport can make them again. Never changed once issued.
CREATE TABLE reports (
    id                  TEXT PRIMARY KEY,
    organization_id     TEXT NOT NULL,
    definition_id       TEXT NOT NULL,
    definition_version  BIGINT NOT NULL,
    period_start        TEXT NOT NULL,
    period_end          TEXT NOT NULL,
    as_of               TEXT NOT NULL,
    digest              TEXT NOT NULL,
    inputs              TEXT NOT NULL,
    body                BLOB NOT NULL,
    issue_micros        BIGINT NOT NULL
);
CREATE INDEX reports_by_time ON reports (issue_micros DESC, id DESC);
CREATE INDEX reports_by_organization ON reports (organization_id, issue_micros DESC, id DESC);

CREATE TRIGGER reports_no_update BEFORE UPDATE ON reports
BEGIN
    SELECT RAISE(ABORT, 'an issued report is never changed: UPDATE refused');
END;

CREATE TRIGGER reports_no_delete BEFORE DELETE ON reports
BEGIN
    SELECT RAISE(ABORT, 'an issued report is never changed: DELETE refused');
END;
