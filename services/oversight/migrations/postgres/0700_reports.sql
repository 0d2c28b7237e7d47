-- Whistleblower reports, owned by the Party organisation that received
-- them. The reporter's identity is not here: it is sealed in
-- reporter_identities. The receipt code is stored only as its locator and
-- an Argon2id hash.
CREATE TABLE reports (
    id                  TEXT COLLATE "C" PRIMARY KEY,
    org_id              TEXT COLLATE "C"   NOT NULL,
    org_lineage         TEXT COLLATE "C"   NOT NULL,
    channel             BIGINT NOT NULL,
    category            BIGINT NOT NULL,
    content             TEXT   NOT NULL,
    sector              TEXT   NOT NULL,
    received_date       TEXT COLLATE "C"   NOT NULL,
    anonymous           BIGINT NOT NULL,
    status              BIGINT NOT NULL,
    outcome             BIGINT NOT NULL,
    accept_due          TEXT COLLATE "C",
    accept_citation     TEXT   NOT NULL,
    resolve_due         TEXT COLLATE "C",
    resolve_citation    TEXT   NOT NULL,
    decision_number     TEXT   NOT NULL,
    decision_date       TEXT COLLATE "C",
    decision_note       TEXT   NOT NULL,
    transfer_agency_id  TEXT COLLATE "C"   NOT NULL,
    case_id             TEXT COLLATE "C"   NOT NULL,
    retention_class     TEXT   NOT NULL,
    expire_date         TEXT COLLATE "C",
    expired             BIGINT NOT NULL,
    receipt_locator     TEXT COLLATE "C"   NOT NULL UNIQUE,
    receipt_hash        TEXT   NOT NULL,
    revision            BIGINT NOT NULL,
    create_micros       BIGINT NOT NULL
);
CREATE INDEX reports_by_org ON reports (org_id, received_date, id);

-- The people a report accuses.
CREATE TABLE report_accused (
    report_id  TEXT COLLATE "C"   NOT NULL,
    position_no BIGINT NOT NULL,
    member_id  TEXT COLLATE "C"   NOT NULL,
    name       TEXT   NOT NULL,
    position   TEXT   NOT NULL,
    PRIMARY KEY (report_id, position_no)
);

-- Messages on a report, both ways; internal notes are never shown to the
-- reporter.
CREATE TABLE report_messages (
    report_id      TEXT COLLATE "C"   NOT NULL,
    seq            BIGINT NOT NULL,
    author         BIGINT NOT NULL,
    internal       BIGINT NOT NULL,
    text           TEXT   NOT NULL,
    author_subject TEXT   NOT NULL,
    create_micros  BIGINT NOT NULL,
    PRIMARY KEY (report_id, seq)
);

-- The identity vault: a named reporter's identity sealed under its own
-- record key, itself wrapped by a key-encryption key kept outside the
-- database (kek_id names it). Nothing here reads without that key.
CREATE TABLE reporter_identities (
    report_id     TEXT COLLATE "C" PRIMARY KEY,
    kek_id        TEXT COLLATE "C"   NOT NULL,
    wrapped_key   BYTEA  NOT NULL,
    ciphertext    BYTEA  NOT NULL,
    create_micros BIGINT NOT NULL
);

-- A report's protection file: requests, measures, retaliation complaints
-- and every reveal of the identity.
CREATE TABLE protection_entries (
    report_id     TEXT COLLATE "C"   NOT NULL,
    seq           BIGINT NOT NULL,
    kind          BIGINT NOT NULL,
    day           TEXT   NOT NULL,
    text          TEXT   NOT NULL,
    recorded_by   TEXT   NOT NULL,
    create_micros BIGINT NOT NULL,
    PRIMARY KEY (report_id, seq)
);
