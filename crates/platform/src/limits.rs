//! The one table of field limits: how long a text, how many items, how
//! large a number a request may carry. Every service's validators take
//! their limits from here (a test refuses a length written as a bare
//! number in a service's rules), and `docs/security.md` shows
//! [`TABLE`] as the code has it. Anything longer is refused with a field
//! violation that names the limit; the server's message size (4 MiB) bounds
//! the rest.

macro_rules! limits {
    ($($(#[doc = $doc:literal])+ $name:ident = $value:expr;)*) => {
        $($(#[doc = $doc])+ pub const $name: usize = $value;)*

        /// Every limit, with what it bounds (its doc line), for
        /// `docs/security.md`.
        pub const TABLE: &[(&str, usize, &str)] =
            &[$((stringify!($name), $name, concat!($($doc),+)),)*];
    };
}

limits! {
    /// Characters of a person's name, a position held, a named attendee.
    NAME = 200;
    /// Characters of an organisation's display name, a publication place.
    LABEL = 300;
    /// Characters of an organisation's code.
    CODE = 64;
    /// Characters of a document's issuing body.
    FIELD = 200;
    /// Characters of a document's term (khóa).
    TERM = 20;
    /// Characters of a class title or venue, a remark, an attendee's note, a plan's audience.
    SHORT_TEXT = 500;
    /// Characters of a plan's or document's title, a rule's citation, a redraw reason.
    TITLE = 1000;
    /// Characters of a reason (cancel, reopen, extension), a member event's note, a link.
    REASON = 2000;
    /// Characters of a book entry, a review comment, a declaration's description or origin.
    TEXT = 4000;
    /// Characters of a learning report's evaluation.
    COMMENTS = 5000;
    /// Characters of a supervision visit's findings or recommendations.
    FINDINGS = 20_000;
    /// Characters of a learning report's content.
    REPORT = 100_000;
    /// Presenters of one class.
    PRESENTERS = 50;
    /// Materials of one class.
    MATERIALS = 100;
    /// Members in one BatchCreateMembers call.
    MEMBERS_PER_BATCH = 1000;
    /// Items in one declaration.
    DECLARATION_ITEMS = 500;
    /// Documents one plan cites.
    PLAN_DOCUMENTS = 50;
    /// Attendance statuses of one plan.
    PLAN_STATUSES = 20;
    /// Attendance entries in one RecordAttendance call.
    UNARY_ENTRIES = 100;
    /// Attendance entries in one StreamAttendance batch.
    BATCH_ENTRIES = 1000;
    /// Named non-members of one class.
    NAMED_NON_MEMBERS = 5000;
    /// Unnamed non-members counted at one class.
    HEAD_COUNT = 100_000;
    /// People one case is about.
    CASE_SUBJECTS = 200;
    /// Agencies handling one case.
    CASE_AGENCIES = 20;
    /// Cases linked to one case.
    LINKED_CASES = 50;
    /// People one whistleblower report accuses.
    REPORT_ACCUSED = 50;
    /// Characters of a whistleblower report's content.
    REPORT_CONTENT = 20_000;
    /// Characters of a reporter's identity number, telephone or e-mail.
    CONTACT = 200;
    /// Characters of a `request_id` (idempotency key).
    REQUEST_ID = 128;
    /// Rows in one page of a list (larger sizes are coerced).
    PAGE_SIZE = 1000;
    /// Characters of a page token.
    PAGE_TOKEN = 2048;
}

/// [`TABLE`] as the Markdown table `docs/security.md` holds.
pub fn to_markdown() -> String {
    let mut out = String::from("| limit | at most | what |\n| --- | --- | --- |\n");
    for (name, max, what) in TABLE {
        out.push_str(&format!("| `{name}` | {max} | {} |\n", what.trim()));
    }
    out
}
