-- Disciplinary decisions on members, with where their change in members
-- stands (the outbox's visible state; the delivery itself is a job).
CREATE TABLE disciplinary_decisions (
    id                    TEXT COLLATE "C" PRIMARY KEY,
    member_id             TEXT COLLATE "C" NOT NULL,
    member_name           TEXT   NOT NULL,
    form                  BIGINT NOT NULL,
    deciding_org_id       TEXT COLLATE "C" NOT NULL,
    decision_number       TEXT   NOT NULL,
    decision_date         TEXT COLLATE "C" NOT NULL,
    effective_date        TEXT COLLATE "C" NOT NULL,
    case_id               TEXT COLLATE "C" NOT NULL,
    reason                TEXT   NOT NULL,
    members_effect        BIGINT NOT NULL,
    members_effect_detail TEXT   NOT NULL,
    create_micros         BIGINT NOT NULL,
    update_micros         BIGINT NOT NULL
);
CREATE INDEX disciplinary_decisions_by_member
    ON disciplinary_decisions (member_id, effective_date, id);
