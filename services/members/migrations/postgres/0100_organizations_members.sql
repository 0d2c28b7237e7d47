-- Organisations: identity and descriptive fields. Where an organisation sits
-- in the tree over time is in organization_placements.
CREATE TABLE organizations (
    id            TEXT COLLATE "C" PRIMARY KEY,
    code          TEXT   NOT NULL UNIQUE,
    display_name  TEXT   NOT NULL,
    kind          BIGINT NOT NULL,
    valid_from    TEXT   NOT NULL,
    valid_to      TEXT,
    merged_into   TEXT REFERENCES organizations (id),
    revision      BIGINT NOT NULL,
    create_micros BIGINT NOT NULL,
    update_micros BIGINT NOT NULL
);

-- One row per period during which an organisation had one parent.
-- path is the materialised path '/root-id/.../own-id/' during the period,
-- so a subtree on a date is a range scan on path; periods are
-- valid_from <= d < valid_to (valid_to NULL: still open).
CREATE TABLE organization_placements (
    org_id     TEXT COLLATE "C" NOT NULL REFERENCES organizations (id),
    parent_id  TEXT REFERENCES organizations (id),
    path       TEXT COLLATE "C" NOT NULL,
    depth      BIGINT NOT NULL,
    valid_from TEXT   NOT NULL,
    valid_to   TEXT,
    PRIMARY KEY (org_id, valid_from)
);
CREATE INDEX organization_placements_by_path ON organization_placements (path, valid_from);
CREATE INDEX organization_placements_by_parent ON organization_placements (parent_id, valid_from);

-- Members: identity and personal data, plus the current organisation and
-- status (the open period), kept for cheap reads.
CREATE TABLE members (
    id                TEXT COLLATE "C" PRIMARY KEY,
    party_card_number TEXT   NOT NULL UNIQUE,
    full_name         TEXT   NOT NULL,
    name_folded       TEXT   NOT NULL,
    date_of_birth     TEXT   NOT NULL,
    gender            BIGINT NOT NULL,
    organization_id   TEXT   NOT NULL REFERENCES organizations (id),
    status            BIGINT NOT NULL,
    admission_date    TEXT   NOT NULL,
    official_date     TEXT,
    head_position     TEXT   NOT NULL,
    revision          BIGINT NOT NULL,
    create_micros     BIGINT NOT NULL,
    update_micros     BIGINT NOT NULL
);

-- One row per period during which a member had one organisation and one
-- status: the history that answers "members of X on date D".
CREATE TABLE member_periods (
    member_id       TEXT COLLATE "C" NOT NULL REFERENCES members (id),
    organization_id TEXT   NOT NULL REFERENCES organizations (id),
    status          BIGINT NOT NULL,
    valid_from      TEXT   NOT NULL,
    valid_to        TEXT,
    PRIMARY KEY (member_id, valid_from)
);
CREATE INDEX member_periods_by_organization ON member_periods (organization_id, valid_from);

-- The dated events that produced the periods, as recorded.
CREATE TABLE member_events (
    id              TEXT PRIMARY KEY,
    member_id       TEXT COLLATE "C" NOT NULL REFERENCES members (id),
    seq             BIGINT NOT NULL,
    kind            BIGINT NOT NULL,
    effective_date  TEXT   NOT NULL,
    from_org        TEXT,
    to_org          TEXT   NOT NULL,
    from_status     BIGINT NOT NULL,
    to_status       BIGINT NOT NULL,
    note            TEXT   NOT NULL,
    create_micros   BIGINT NOT NULL,
    UNIQUE (member_id, seq)
);
