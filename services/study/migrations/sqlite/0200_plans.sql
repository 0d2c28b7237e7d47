-- Study plans, the eligible roster taken from members, classes, attendance,
-- non-member attendees, learning reports and supervision visits.
CREATE TABLE plans (
    id               TEXT PRIMARY KEY,
    symbol           TEXT NOT NULL UNIQUE,
    issue_date       TEXT NOT NULL,
    title            TEXT NOT NULL,
    scope_id         TEXT NOT NULL,
    scope_lineage    TEXT NOT NULL,
    audience         TEXT NOT NULL,
    period_start     TEXT NOT NULL,
    period_end       TEXT NOT NULL,
    reference_date   TEXT NOT NULL,
    report_required  BIGINT NOT NULL,
    report_due_days  BIGINT NOT NULL,
    report_cutoff    TEXT,
    min_classes      BIGINT NOT NULL,
    report_condition BIGINT NOT NULL,
    unmarked_status  TEXT NOT NULL,
    roster_micros    BIGINT NOT NULL,
    eligible         BIGINT NOT NULL,
    revision         BIGINT NOT NULL,
    create_micros    BIGINT NOT NULL,
    update_micros    BIGINT NOT NULL
);
CREATE INDEX plans_by_date ON plans (issue_date, id);

-- The documents a plan studies, in order.
CREATE TABLE plan_documents (
    plan_id     TEXT NOT NULL REFERENCES plans (id),
    position    BIGINT NOT NULL,
    document_id TEXT NOT NULL,
    PRIMARY KEY (plan_id, position)
);

-- The attendance statuses of a plan, in order.
CREATE TABLE plan_statuses (
    plan_id  TEXT NOT NULL REFERENCES plans (id),
    position BIGINT NOT NULL,
    code     TEXT NOT NULL,
    label    TEXT NOT NULL,
    attended BIGINT NOT NULL,
    PRIMARY KEY (plan_id, position),
    UNIQUE (plan_id, code)
);

-- The scope's organisation tree on the reference date (path = ids from the
-- scope's root down, `/a/b/`).
CREATE TABLE plan_orgs (
    plan_id      TEXT NOT NULL REFERENCES plans (id),
    org_id       TEXT NOT NULL,
    parent_id    TEXT,
    path         TEXT NOT NULL,
    depth        BIGINT NOT NULL,
    display_name TEXT NOT NULL,
    PRIMARY KEY (plan_id, org_id)
);
CREATE INDEX plan_orgs_by_path ON plan_orgs (plan_id, path);

-- The eligible roster: members of the scope on the reference date, exempt
-- members left out.
CREATE TABLE plan_roster (
    plan_id   TEXT NOT NULL REFERENCES plans (id),
    member_id TEXT NOT NULL,
    org_id    TEXT NOT NULL,
    full_name TEXT NOT NULL,
    card      TEXT NOT NULL,
    -- Counted classes (not cancelled, not excluded from the rate) the
    -- member attended; kept by every write that can change it, so that
    -- progress reads one table.
    attended_classes BIGINT NOT NULL,
    PRIMARY KEY (plan_id, member_id)
);
CREATE INDEX plan_roster_by_org ON plan_roster (plan_id, org_id, member_id, attended_classes);

CREATE TABLE classes (
    id            TEXT PRIMARY KEY,
    plan_id       TEXT NOT NULL REFERENCES plans (id),
    org_id        TEXT NOT NULL,
    org_lineage   TEXT NOT NULL,
    title         TEXT NOT NULL,
    start_micros  BIGINT NOT NULL,
    end_micros    BIGINT,
    class_date    TEXT NOT NULL,
    format        BIGINT NOT NULL,
    venue         TEXT NOT NULL,
    online_link   TEXT NOT NULL,
    make_up_for   TEXT REFERENCES classes (id),
    excluded      BIGINT NOT NULL,
    state         BIGINT NOT NULL,
    head_count    BIGINT NOT NULL,
    cancel_reason TEXT NOT NULL,
    revision      BIGINT NOT NULL,
    create_micros BIGINT NOT NULL,
    update_micros BIGINT NOT NULL
);
CREATE INDEX classes_by_plan ON classes (plan_id, start_micros, id);

CREATE TABLE class_presenters (
    class_id  TEXT NOT NULL REFERENCES classes (id),
    position  BIGINT NOT NULL,
    full_name TEXT NOT NULL,
    title     TEXT NOT NULL,
    member_id TEXT,
    PRIMARY KEY (class_id, position)
);

CREATE TABLE class_materials (
    class_id    TEXT NOT NULL REFERENCES classes (id),
    position    BIGINT NOT NULL,
    title       TEXT NOT NULL,
    document_id TEXT,
    copies      BIGINT NOT NULL,
    PRIMARY KEY (class_id, position)
);

-- One status per member per class; `attended` copies the status's flag.
CREATE TABLE attendance (
    class_id      TEXT NOT NULL REFERENCES classes (id),
    member_id     TEXT NOT NULL,
    status        TEXT NOT NULL,
    attended      BIGINT NOT NULL,
    remark        TEXT NOT NULL,
    org_id        TEXT NOT NULL,
    defaulted     BIGINT NOT NULL,
    update_micros BIGINT NOT NULL,
    PRIMARY KEY (class_id, member_id)
);
CREATE INDEX attendance_by_member ON attendance (member_id, class_id);

-- Named non-member attendees of a class.
CREATE TABLE non_members (
    class_id        TEXT NOT NULL REFERENCES classes (id),
    position        BIGINT NOT NULL,
    full_name       TEXT NOT NULL,
    identity_number TEXT NOT NULL,
    note            TEXT NOT NULL,
    PRIMARY KEY (class_id, position)
);

CREATE TABLE reports (
    id            TEXT PRIMARY KEY,
    plan_id       TEXT NOT NULL REFERENCES plans (id),
    class_id      TEXT NOT NULL REFERENCES classes (id),
    member_id     TEXT NOT NULL,
    content       TEXT NOT NULL,
    submitted_on  TEXT NOT NULL,
    due_date      TEXT NOT NULL,
    late          BIGINT NOT NULL,
    state         BIGINT NOT NULL,
    grade         BIGINT NOT NULL,
    comments      TEXT NOT NULL,
    evaluator     TEXT NOT NULL,
    evaluated_on  TEXT,
    reopen_reason TEXT NOT NULL,
    revision      BIGINT NOT NULL,
    create_micros BIGINT NOT NULL,
    update_micros BIGINT NOT NULL,
    UNIQUE (class_id, member_id)
);
CREATE INDEX reports_by_plan ON reports (plan_id, member_id, class_id);

-- The latest extension of one member's report for one class.
CREATE TABLE report_extensions (
    class_id      TEXT NOT NULL REFERENCES classes (id),
    member_id     TEXT NOT NULL,
    due_date      TEXT NOT NULL,
    reason        TEXT NOT NULL,
    granted_by    TEXT NOT NULL,
    create_micros BIGINT NOT NULL,
    PRIMARY KEY (class_id, member_id)
);

CREATE TABLE supervision_visits (
    id              TEXT PRIMARY KEY,
    plan_id         TEXT NOT NULL REFERENCES plans (id),
    inspecting_id   TEXT NOT NULL,
    inspected_id    TEXT NOT NULL,
    visit_date      TEXT NOT NULL,
    findings        TEXT NOT NULL,
    recommendations TEXT NOT NULL,
    rating          BIGINT NOT NULL,
    create_micros   BIGINT NOT NULL
);
-- Lineage columns hold organisation ids from the root down to and
-- including the organisation, `/root/…/org/`, for scope checks.
CREATE INDEX visits_by_plan ON supervision_visits (plan_id, visit_date, id);
