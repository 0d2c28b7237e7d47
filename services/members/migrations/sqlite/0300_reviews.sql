-- Annual review and classification: one row per member and year, filled
-- in step by step (self-assessment, the cell's proposal, the decision).
CREATE TABLE reviews (
    member_id         TEXT   NOT NULL REFERENCES members (id),
    year              BIGINT NOT NULL,
    organization_id   TEXT   NOT NULL REFERENCES organizations (id),
    stage             BIGINT NOT NULL,
    self_grade        BIGINT NOT NULL,
    self_comment      TEXT   NOT NULL,
    self_author       TEXT   NOT NULL,
    self_micros       BIGINT NOT NULL,
    proposed_grade    BIGINT,
    proposal_comment  TEXT,
    proposal_author   TEXT,
    proposal_micros   BIGINT,
    decided_grade     BIGINT,
    decision_comment  TEXT,
    decision_author   TEXT,
    decision_micros   BIGINT,
    decision_date     TEXT,
    revision          BIGINT NOT NULL,
    PRIMARY KEY (member_id, year)
);
CREATE INDEX reviews_by_organization ON reviews (organization_id, year, decided_grade);

-- Dated versions of the classification rules; the version in force on a
-- date is the latest one of its kind that starts on or before it.
CREATE TABLE review_rules (
    id            TEXT PRIMARY KEY,
    kind          BIGINT NOT NULL,
    percent       BIGINT NOT NULL,
    cap           BIGINT NOT NULL,
    valid_from    TEXT   NOT NULL,
    citation      TEXT   NOT NULL,
    create_micros BIGINT NOT NULL,
    UNIQUE (kind, valid_from)
);
INSERT INTO review_rules (id, kind, percent, cap, valid_from, citation, create_micros) VALUES
    ('default-excellent-quota', 1, 20, 0, '2017-01-01',
     'Default: excellent members at most 20% of good members in an organisation', 0),
    ('default-disciplined-cap', 2, 0, 3, '2017-01-01',
     'Default: a member disciplined in the year is graded at most complete', 0);
