//! The one table of field limits: how long a text, how many items, how
//! large a number a request may carry. Every service's validators take
//! their limits from here (a test refuses a length written as a bare
//! number in a service's rules), and `docs/security.md` shows
//! [`TABLE`] as the code has it. Anything longer is refused with a field
//! violation that names the limit; the server's message size (4 MiB) bounds
//! the rest.

/// A person's name, a position held, a named attendee (characters).
pub const NAME: usize = 200;
/// An organisation's display name, a place of publication.
pub const LABEL: usize = 300;
/// An organisation's code.
pub const CODE: usize = 64;
/// A document's issuing body; a symbol.
pub const FIELD: usize = 200;
/// A document's term (khóa).
pub const TERM: usize = 20;
/// A class's title or venue, an attendance remark, a note on a named
/// attendee, a plan's audience.
pub const SHORT_TEXT: usize = 500;
/// A plan's or document's title, a rule's citation, a redraw reason.
pub const TITLE: usize = 1000;
/// A reason (cancelling a class, reopening a report, an extension), a
/// member event's note, an online link.
pub const REASON: usize = 2000;
/// A book entry's text, remedies and comments, a review comment, a
/// declaration item's description or origin of increase.
pub const TEXT: usize = 4000;
/// An evaluation's comments.
pub const COMMENTS: usize = 5000;
/// A supervision visit's findings and recommendations.
pub const FINDINGS: usize = 20_000;
/// A learning report's content.
pub const REPORT: usize = 100_000;
/// Presenters of one class.
pub const PRESENTERS: usize = 50;
/// Materials of one class.
pub const MATERIALS: usize = 100;
/// Members in one BatchCreateMembers call.
pub const MEMBERS_PER_BATCH: usize = 1000;
/// Items in one declaration.
pub const DECLARATION_ITEMS: usize = 500;
/// Documents one plan cites.
pub const PLAN_DOCUMENTS: usize = 50;
/// Attendance statuses of one plan.
pub const PLAN_STATUSES: usize = 20;
/// Attendance entries in one RecordAttendance call.
pub const UNARY_ENTRIES: usize = 100;
/// Attendance entries in one StreamAttendance batch.
pub const BATCH_ENTRIES: usize = 1000;
/// Named non-members of one class.
pub const NAMED_NON_MEMBERS: usize = 5000;
/// A class's count of unnamed non-members.
pub const HEAD_COUNT: usize = 100_000;
/// A `request_id` (idempotency key).
pub const REQUEST_ID: usize = 128;
/// Rows in one page of a list.
pub const PAGE_SIZE: usize = 1000;
/// A page token.
pub const PAGE_TOKEN: usize = 2048;

/// Every limit, with what it bounds, for `docs/security.md`.
pub const TABLE: &[(&str, usize, &str)] = &[
    (
        "NAME",
        NAME,
        "characters: person names, positions, named attendees",
    ),
    (
        "LABEL",
        LABEL,
        "characters: organisation display names, publication places",
    ),
    ("CODE", CODE, "characters: organisation codes"),
    ("FIELD", FIELD, "characters: a document's issuing body"),
    ("TERM", TERM, "characters: a document's term"),
    (
        "SHORT_TEXT",
        SHORT_TEXT,
        "characters: class titles and venues, remarks, attendee notes, a plan's audience",
    ),
    (
        "TITLE",
        TITLE,
        "characters: plan and document titles, rule citations, redraw reasons",
    ),
    (
        "REASON",
        REASON,
        "characters: reasons, member event notes, online links",
    ),
    (
        "TEXT",
        TEXT,
        "characters: book entries, review comments, declaration descriptions and origins",
    ),
    (
        "COMMENTS",
        COMMENTS,
        "characters: a learning report's evaluation",
    ),
    (
        "FINDINGS",
        FINDINGS,
        "characters: supervision findings and recommendations",
    ),
    ("REPORT", REPORT, "characters: a learning report's content"),
    ("PRESENTERS", PRESENTERS, "presenters per class"),
    ("MATERIALS", MATERIALS, "materials per class"),
    (
        "MEMBERS_PER_BATCH",
        MEMBERS_PER_BATCH,
        "members per BatchCreateMembers",
    ),
    (
        "DECLARATION_ITEMS",
        DECLARATION_ITEMS,
        "items per declaration",
    ),
    ("PLAN_DOCUMENTS", PLAN_DOCUMENTS, "documents per plan"),
    (
        "PLAN_STATUSES",
        PLAN_STATUSES,
        "attendance statuses per plan",
    ),
    (
        "UNARY_ENTRIES",
        UNARY_ENTRIES,
        "entries per RecordAttendance",
    ),
    (
        "BATCH_ENTRIES",
        BATCH_ENTRIES,
        "entries per StreamAttendance batch",
    ),
    (
        "NAMED_NON_MEMBERS",
        NAMED_NON_MEMBERS,
        "named non-members per class",
    ),
    ("HEAD_COUNT", HEAD_COUNT, "unnamed non-members per class"),
    ("REQUEST_ID", REQUEST_ID, "characters of a request_id"),
    (
        "PAGE_SIZE",
        PAGE_SIZE,
        "rows per page (larger sizes are coerced)",
    ),
    ("PAGE_TOKEN", PAGE_TOKEN, "characters of a page token"),
];

/// [`TABLE`] as the Markdown table `docs/security.md` holds.
pub fn to_markdown() -> String {
    let mut out = String::from("| limit | at most | of |\n| --- | --- | --- |\n");
    for (name, max, what) in TABLE {
        out.push_str(&format!("| `{name}` | {max} | {what} |\n"));
    }
    out
}
