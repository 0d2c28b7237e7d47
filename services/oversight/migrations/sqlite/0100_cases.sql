-- The registry of agencies that handle cases.
CREATE TABLE agencies (
    id            TEXT PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    display_name  TEXT   NOT NULL,
    kind          BIGINT NOT NULL,
    level         BIGINT NOT NULL,
    create_micros BIGINT NOT NULL
);
CREATE INDEX agencies_by_kind ON agencies (kind, code);

-- Cases, owned by their jurisdiction organisation (its lineage as of the
-- day the case was recorded, for subtree lists; access is decided on
-- today's tree). The clock of the current stage: its start, limit,
-- suspended days, running suspension and extended due date; the original
-- due date is kept for the overdue lists.
CREATE TABLE cases (
    id                   TEXT PRIMARY KEY,
    code                 TEXT NOT NULL UNIQUE,
    title                TEXT   NOT NULL,
    kind                 BIGINT NOT NULL,
    sector               TEXT NOT NULL,
    jurisdiction_id      TEXT NOT NULL,
    jurisdiction_lineage TEXT NOT NULL,
    loss_vnd             BIGINT NOT NULL,
    recovered_vnd        BIGINT NOT NULL,
    received_date        TEXT NOT NULL,
    stage                BIGINT NOT NULL,
    suspended_stage      BIGINT NOT NULL,
    stage_start          TEXT NOT NULL,
    stage_limit_days     BIGINT NOT NULL,
    stage_limit_citation TEXT   NOT NULL,
    suspended_days       BIGINT NOT NULL,
    suspended_since      TEXT,
    original_due         TEXT,
    extended_due         TEXT,
    ever_suspended       BIGINT NOT NULL,
    revision             BIGINT NOT NULL,
    create_micros        BIGINT NOT NULL,
    update_micros        BIGINT NOT NULL
);
CREATE INDEX cases_by_received ON cases (received_date DESC, id DESC);
CREATE INDEX cases_by_jurisdiction ON cases (jurisdiction_id);

-- Each intake of a case; the first is the one it was recorded from.
CREATE TABLE case_intakes (
    case_id          TEXT NOT NULL REFERENCES cases (id),
    seq              BIGINT NOT NULL,
    origin           BIGINT NOT NULL,
    origin_reference TEXT   NOT NULL,
    received_date    TEXT NOT NULL,
    summary          TEXT   NOT NULL,
    PRIMARY KEY (case_id, seq)
);

-- One case per (jurisdiction, origin, folded reference): a second intake
-- with the same key is linked to the case, not recorded again.
CREATE TABLE intake_keys (
    jurisdiction_id TEXT NOT NULL,
    origin          BIGINT NOT NULL,
    reference_key   TEXT NOT NULL,
    case_id         TEXT NOT NULL REFERENCES cases (id),
    PRIMARY KEY (jurisdiction_id, origin, reference_key)
);

CREATE TABLE case_subjects (
    case_id   TEXT NOT NULL REFERENCES cases (id),
    seq       BIGINT NOT NULL,
    member_id TEXT NOT NULL,
    full_name TEXT   NOT NULL,
    position  TEXT   NOT NULL,
    PRIMARY KEY (case_id, seq)
);
CREATE INDEX case_subjects_by_member ON case_subjects (member_id) WHERE member_id <> '';

CREATE TABLE case_agencies (
    case_id   TEXT NOT NULL REFERENCES cases (id),
    seq       BIGINT NOT NULL,
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    PRIMARY KEY (case_id, seq),
    UNIQUE (case_id, agency_id)
);

-- Links go both ways: one row per direction.
CREATE TABLE case_links (
    case_id  TEXT NOT NULL REFERENCES cases (id),
    other_id TEXT NOT NULL REFERENCES cases (id),
    PRIMARY KEY (case_id, other_id)
);

-- The history of a case: who did what, when and why.
CREATE TABLE case_events (
    case_id         TEXT NOT NULL REFERENCES cases (id),
    seq             BIGINT NOT NULL,
    kind            BIGINT NOT NULL,
    from_stage      BIGINT NOT NULL,
    to_stage        BIGINT NOT NULL,
    effective_date  TEXT NOT NULL,
    reason          TEXT   NOT NULL,
    decision_number TEXT   NOT NULL,
    previous_due    TEXT,
    new_due         TEXT,
    actor           TEXT   NOT NULL,
    create_micros   BIGINT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE progress_reports (
    id            TEXT PRIMARY KEY,
    case_id       TEXT NOT NULL REFERENCES cases (id),
    agency_id     TEXT NOT NULL REFERENCES agencies (id),
    report_date   TEXT NOT NULL,
    summary       TEXT   NOT NULL,
    recovered_vnd BIGINT NOT NULL,
    create_micros BIGINT NOT NULL
);
CREATE INDEX progress_reports_by_case ON progress_reports (case_id, id);
