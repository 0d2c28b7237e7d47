-- Party and State documents, by canonical number-symbol.
CREATE TABLE documents (
    id            TEXT PRIMARY KEY,
    symbol        TEXT   NOT NULL UNIQUE,
    number        BIGINT NOT NULL,
    kind          BIGINT NOT NULL,
    kind_letters  TEXT   NOT NULL,
    issuer_code   TEXT   NOT NULL,
    issuing_body  TEXT   NOT NULL,
    issue_date    TEXT   NOT NULL,
    term          TEXT   NOT NULL,
    title         TEXT   NOT NULL,
    revision      BIGINT NOT NULL,
    create_micros BIGINT NOT NULL,
    update_micros BIGINT NOT NULL
);
CREATE INDEX documents_by_date ON documents (issue_date, id);
CREATE INDEX documents_by_kind ON documents (kind, issue_date);
