-- Recommendations of the State Audit, inspections and central delegations,
-- owned by the Party organisation whose area the addressee is in.
CREATE TABLE recommendations (
    id                 TEXT PRIMARY KEY,
    source             BIGINT NOT NULL,
    source_document    TEXT NOT NULL,
    source_date        TEXT NOT NULL,
    org_id             TEXT NOT NULL,
    org_lineage        TEXT NOT NULL,
    agency_id          TEXT NOT NULL,
    responsible_person TEXT   NOT NULL,
    kind               BIGINT NOT NULL,
    content            TEXT   NOT NULL,
    recommended_vnd    BIGINT NOT NULL,
    implemented_vnd    BIGINT NOT NULL,
    due_date           TEXT NOT NULL,
    priority           BIGINT NOT NULL,
    action_plan        TEXT   NOT NULL,
    status             BIGINT NOT NULL,
    reporter_subject   TEXT   NOT NULL,
    reporter_agency    TEXT   NOT NULL,
    evidence           TEXT   NOT NULL,
    verified_by        TEXT   NOT NULL,
    close_date         TEXT,
    revision           BIGINT NOT NULL,
    create_micros      BIGINT NOT NULL
);
CREATE INDEX recommendations_by_due ON recommendations (due_date, id);
