-- Who must declare, per organisation and year.
CREATE TABLE obligation_lists (
    org_id         TEXT   NOT NULL REFERENCES organizations (id),
    year           BIGINT NOT NULL,
    state          BIGINT NOT NULL,
    approved_by    TEXT,
    approve_micros BIGINT,
    revision       BIGINT NOT NULL,
    create_micros  BIGINT NOT NULL,
    PRIMARY KEY (org_id, year)
);
CREATE TABLE obligations (
    org_id    TEXT   NOT NULL,
    year      BIGINT NOT NULL,
    member_id TEXT   NOT NULL REFERENCES members (id),
    leader    BIGINT NOT NULL,
    position  TEXT   NOT NULL,
    PRIMARY KEY (org_id, year, member_id),
    FOREIGN KEY (org_id, year) REFERENCES obligation_lists (org_id, year)
);
CREATE INDEX obligations_by_member ON obligations (member_id, year);

-- Declarations and their process dates. Contents are in declaration_items.
CREATE TABLE declarations (
    id                TEXT PRIMARY KEY,
    member_id         TEXT   NOT NULL REFERENCES members (id),
    organization_id   TEXT   NOT NULL REFERENCES organizations (id),
    year              BIGINT NOT NULL,
    kind              BIGINT NOT NULL,
    declared_as_of    TEXT   NOT NULL,
    event_date        TEXT,
    increase_origin   TEXT   NOT NULL,
    total_assets      BIGINT NOT NULL,
    status            BIGINT NOT NULL,
    received_date     TEXT   NOT NULL,
    returned_date     TEXT,
    return_reason     TEXT,
    resubmitted_date  TEXT,
    handed_over_date  TEXT,
    published_date    TEXT,
    publication_place TEXT,
    verification      BIGINT NOT NULL,
    findings          TEXT,
    concluded_date    TEXT,
    revision          BIGINT NOT NULL,
    create_micros     BIGINT NOT NULL
);
CREATE INDEX declarations_by_member ON declarations (member_id, declared_as_of);
CREATE INDEX declarations_by_organization ON declarations (organization_id, year, kind);

CREATE TABLE declaration_items (
    declaration_id TEXT   NOT NULL REFERENCES declarations (id),
    seq            BIGINT NOT NULL,
    category       BIGINT NOT NULL,
    description    TEXT   NOT NULL,
    value_vnd      BIGINT NOT NULL,
    PRIMARY KEY (declaration_id, seq)
);

-- Dated thresholds and deadlines; the version in force on a date is the
-- latest of its kind starting on or before it.
CREATE TABLE declaration_rules (
    kind       BIGINT NOT NULL,
    value      BIGINT NOT NULL,
    valid_from TEXT   NOT NULL,
    citation   TEXT   NOT NULL,
    PRIMARY KEY (kind, valid_from)
);
INSERT INTO declaration_rules (kind, value, valid_from, citation) VALUES
    (1, 50000000, '2019-07-01', 'Luật Phòng, chống tham nhũng 36/2018/QH14: động sản, tài sản khác từ 50 triệu đồng'),
    (1, 150000000, '2026-07-01', 'Luật Phòng, chống tham nhũng sửa đổi, hiệu lực 01/07/2026: từ 150 triệu đồng'),
    (2, 300000000, '2019-07-01', 'Luật Phòng, chống tham nhũng 36/2018/QH14: biến động từ 300 triệu đồng phải kê khai bổ sung'),
    (2, 1000000000, '2026-07-01', 'Luật Phòng, chống tham nhũng sửa đổi, hiệu lực 01/07/2026: biến động từ 1 tỷ đồng'),
    (3, 10, '2019-07-01', 'Luật Phòng, chống tham nhũng 36/2018/QH14: kê khai lần đầu trong 10 ngày'),
    (4, 10, '2019-07-01', 'Luật Phòng, chống tham nhũng 36/2018/QH14: kê khai phục vụ bổ nhiệm chậm nhất 10 ngày trước'),
    (5, 7, '2019-07-01', 'Nghị định 130/2020/NĐ-CP: trả lại bản kê khai không đúng mẫu trong 7 ngày'),
    (6, 20, '2019-07-01', 'Luật Phòng, chống tham nhũng 36/2018/QH14: bàn giao bản kê khai trong 20 ngày'),
    (7, 5, '2019-07-01', 'Nghị định 130/2020/NĐ-CP: công khai bản kê khai trong 5 ngày làm việc');

-- Verification draws with their published input.
CREATE TABLE verification_draws (
    id            TEXT PRIMARY KEY,
    org_id        TEXT   NOT NULL REFERENCES organizations (id),
    year          BIGINT NOT NULL,
    seed          TEXT   NOT NULL,
    percent       BIGINT NOT NULL,
    input         TEXT   NOT NULL,
    selected      TEXT   NOT NULL,
    input_digest  TEXT   NOT NULL,
    drawn_by      TEXT   NOT NULL,
    create_micros BIGINT NOT NULL
);
