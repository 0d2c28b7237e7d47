-- Issued period reports. A report is stored once, whole (`body`: the
-- protobuf encoding of `probity.reports.v1.PeriodReport`), beside the
-- columns lists and access need; `inputs` keeps the calls it read (JSON),
-- so that VerifyReport can make them again. Never changed once issued.
CREATE TABLE reports (
    id                  TEXT COLLATE "C" PRIMARY KEY,
    organization_id     TEXT COLLATE "C" NOT NULL,
    definition_id       TEXT NOT NULL,
    definition_version  BIGINT NOT NULL,
    period_start        TEXT NOT NULL,
    period_end          TEXT NOT NULL,
    as_of               TEXT NOT NULL,
    digest              TEXT NOT NULL,
    inputs              TEXT NOT NULL,
    body                BYTEA NOT NULL,
    issue_micros        BIGINT NOT NULL
);
CREATE INDEX reports_by_time ON reports (issue_micros DESC, id DESC);
CREATE INDEX reports_by_organization ON reports (organization_id, issue_micros DESC, id DESC);

CREATE FUNCTION reports_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'an issued report is never changed: % refused', TG_OP;
END;
$$;

CREATE TRIGGER reports_immutable
    BEFORE UPDATE OR DELETE ON reports
    FOR EACH ROW EXECUTE FUNCTION reports_immutable();

CREATE TRIGGER reports_no_truncate
    BEFORE TRUNCATE ON reports
    FOR EACH STATEMENT EXECUTE FUNCTION reports_immutable();
