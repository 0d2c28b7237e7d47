-- The self-improvement and commitment books: one row per entry. Submitted
-- entries are never changed except for the bookkeeping columns
-- corrected_by_id, action_status and revision.
CREATE TABLE book_entries (
    id              TEXT COLLATE "C" PRIMARY KEY,
    member_id       TEXT   NOT NULL REFERENCES members (id),
    year            BIGINT NOT NULL,
    kind            BIGINT NOT NULL,
    state           BIGINT NOT NULL,
    text            TEXT   NOT NULL,
    cited_documents TEXT   NOT NULL,
    due_date        TEXT,
    action_status   BIGINT NOT NULL,
    period          BIGINT NOT NULL,
    remedies        TEXT   NOT NULL,
    corrects_id     TEXT REFERENCES book_entries (id),
    corrected_by_id TEXT REFERENCES book_entries (id),
    organization_id TEXT   NOT NULL REFERENCES organizations (id),
    author          TEXT   NOT NULL,
    revision        BIGINT NOT NULL,
    create_micros   BIGINT NOT NULL,
    submit_micros   BIGINT
);
CREATE INDEX book_entries_by_member ON book_entries (member_id, year, id);
CREATE INDEX book_entries_by_organization ON book_entries (organization_id, year, kind);

-- Manifestation codes cited by an entry, for statistics per code.
CREATE TABLE book_entry_manifestations (
    entry_id TEXT NOT NULL REFERENCES book_entries (id),
    code     TEXT NOT NULL,
    PRIMARY KEY (entry_id, code)
);

-- The cell's attributed comments on entries.
CREATE TABLE book_entry_comments (
    id            TEXT COLLATE "C" PRIMARY KEY,
    entry_id      TEXT   NOT NULL REFERENCES book_entries (id),
    author        TEXT   NOT NULL,
    agency        TEXT   NOT NULL,
    text          TEXT   NOT NULL,
    create_micros BIGINT NOT NULL
);
CREATE INDEX book_entry_comments_by_entry ON book_entry_comments (entry_id, create_micros);

-- The cell's year-end result on a commitment: at most one.
CREATE TABLE commitment_results (
    entry_id      TEXT PRIMARY KEY REFERENCES book_entries (id),
    outcome       BIGINT NOT NULL,
    comment       TEXT   NOT NULL,
    author        TEXT   NOT NULL,
    record_micros BIGINT NOT NULL
);
