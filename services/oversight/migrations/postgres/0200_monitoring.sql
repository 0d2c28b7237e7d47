-- Monitoring: a case's designation (one per case), the directives and
-- urgings to its agencies, and the escalations the job runner records —
-- one per (case, threshold, crossing), so a crossing escalates once
-- whatever runs the scan and however often.
CREATE TABLE designations (
    case_id         TEXT COLLATE "C" PRIMARY KEY REFERENCES cases (id),
    designated_by   BIGINT NOT NULL,
    decision_number TEXT   NOT NULL,
    decision_date   TEXT COLLATE "C" NOT NULL,
    criteria        TEXT   NOT NULL,
    reason          TEXT   NOT NULL,
    actor           TEXT   NOT NULL,
    create_micros   BIGINT NOT NULL
);

CREATE TABLE directives (
    id            TEXT COLLATE "C" PRIMARY KEY,
    case_id       TEXT COLLATE "C" NOT NULL REFERENCES cases (id),
    agency_id     TEXT COLLATE "C" NOT NULL REFERENCES agencies (id),
    content       TEXT   NOT NULL,
    issue_date    TEXT COLLATE "C" NOT NULL,
    due_date      TEXT COLLATE "C" NOT NULL,
    create_micros BIGINT NOT NULL
);
CREATE INDEX directives_by_case ON directives (case_id, id);

CREATE TABLE urgings (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    case_id            TEXT COLLATE "C" NOT NULL REFERENCES cases (id),
    agency_id          TEXT COLLATE "C" NOT NULL REFERENCES agencies (id),
    directive_id       TEXT COLLATE "C" NOT NULL,
    content            TEXT   NOT NULL,
    urge_date          TEXT COLLATE "C" NOT NULL,
    requested_deadline TEXT COLLATE "C" NOT NULL,
    reply              TEXT   NOT NULL,
    reply_date         TEXT COLLATE "C",
    create_micros      BIGINT NOT NULL
);
CREATE INDEX urgings_by_case ON urgings (case_id, id);

CREATE TABLE escalations (
    case_id       TEXT COLLATE "C" NOT NULL REFERENCES cases (id),
    threshold     BIGINT NOT NULL,
    crossing      TEXT COLLATE "C" NOT NULL,
    due_date      TEXT COLLATE "C",
    found_date    TEXT COLLATE "C" NOT NULL,
    escalated_to  TEXT COLLATE "C" NOT NULL,
    create_micros BIGINT NOT NULL,
    PRIMARY KEY (case_id, threshold, crossing)
);
CREATE INDEX escalations_by_case ON escalations (case_id, create_micros);
