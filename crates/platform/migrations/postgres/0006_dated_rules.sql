-- Dated, cited rules: thresholds, quotas, caps and time limits that change
-- by law. Each version of a rule starts on a day and stays in force until
-- the next version of the same rule; each says which document sets it.
-- One table for every family of rules of a service (members' review and
-- declaration rules, oversight's stage limits), read through
-- crates/platform/src/dated_rules.rs.
CREATE TABLE dated_rules (
    family        TEXT   NOT NULL,
    kind          BIGINT NOT NULL,
    valid_from    TEXT   NOT NULL,
    value         BIGINT NOT NULL,
    citation      TEXT   NOT NULL,
    id            TEXT   NOT NULL,
    create_micros BIGINT NOT NULL,
    PRIMARY KEY (family, kind, valid_from),
    UNIQUE (family, id)
);
