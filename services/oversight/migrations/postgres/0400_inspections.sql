-- Inspections, Party and State, owned by an organisation of the Party tree
-- (its lineage as of the day recorded, for subtree lists). Cases and
-- disciplinary decisions name the inspection that produced them.
CREATE TABLE inspections (
    id                   TEXT COLLATE "C" PRIMARY KEY,
    kind                 BIGINT NOT NULL,
    org_id               TEXT COLLATE "C" NOT NULL,
    org_lineage          TEXT COLLATE "C" NOT NULL,
    conducting_agency_id TEXT COLLATE "C" NOT NULL,
    subject              TEXT COLLATE "C" NOT NULL,
    subject_unit         TEXT   NOT NULL,
    sector               TEXT COLLATE "C" NOT NULL,
    plan_reference       TEXT   NOT NULL,
    decision_number      TEXT   NOT NULL,
    period_start         TEXT COLLATE "C" NOT NULL,
    period_end           TEXT COLLATE "C" NOT NULL,
    start_date           TEXT COLLATE "C" NOT NULL,
    findings             TEXT   NOT NULL,
    conclusion_date      TEXT COLLATE "C",
    revision             BIGINT NOT NULL,
    create_micros        BIGINT NOT NULL
);
CREATE INDEX inspections_by_start ON inspections (start_date DESC, id DESC);

ALTER TABLE cases ADD COLUMN inspection_id TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX cases_by_inspection ON cases (inspection_id);
ALTER TABLE disciplinary_decisions ADD COLUMN inspection_id TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX disciplinary_decisions_by_inspection ON disciplinary_decisions (inspection_id);
