//! The books in storage: entries with their manifestation codes, comments
//! and year-end results, and the registers read across a subtree.

use std::collections::HashMap;

use probity_platform::bulk::placeholders;
use probity_proto::probity::members::v1::{
    ActionItemStatus, BookEntryKind as Kind, BookEntryState as State, CommitmentOutcome,
};
use sqlx::AnyConnection;

use super::{members::status_list, organizations::in_force};
use crate::{
    error::Result,
    rules::{books::Content, lifecycle::ACTIVE, names::upper},
};

/// An entry as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    /// Id.
    pub id: String,
    /// The member's id.
    pub member_id: String,
    /// The book's year.
    pub year: i64,
    /// `BookEntryKind`.
    pub kind: i64,
    /// `BookEntryState`.
    pub state: i64,
    /// The text.
    pub text: String,
    /// Cited documents, one per line.
    pub cited_documents: String,
    /// An action item's due date (ISO).
    pub due_date: Option<String>,
    /// `ActionItemStatus`.
    pub action_status: i64,
    /// `AssessmentPeriod`.
    pub period: i64,
    /// A self-assessment's remedies.
    pub remedies: String,
    /// The entry this one corrects.
    pub corrects_id: Option<String>,
    /// The entry that corrected this one.
    pub corrected_by_id: Option<String>,
    /// The member's organisation when it was written.
    pub organization_id: String,
    /// Who wrote it.
    pub author: String,
    /// Revision, for the etag.
    pub revision: i64,
    /// Created (µs).
    pub create_micros: i64,
    /// Submitted (µs).
    pub submit_micros: Option<i64>,
}

/// A comment on an entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommentRow {
    /// The entry's id.
    pub entry_id: String,
    /// Who wrote it.
    pub author: String,
    /// Their agency.
    pub agency: String,
    /// The comment.
    pub text: String,
    /// Written (µs).
    pub create_micros: i64,
}

/// A commitment's year-end result.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResultRow {
    /// The entry's id.
    pub entry_id: String,
    /// `CommitmentOutcome`.
    pub outcome: i64,
    /// The cell's comment.
    pub comment: String,
    /// Who recorded it.
    pub author: String,
    /// Recorded (µs).
    pub record_micros: i64,
}

/// An entry with its codes, comments and result.
#[derive(Debug, Clone)]
pub struct EntryRecord {
    /// The entry.
    pub row: EntryRow,
    /// Its manifestation codes, in code order.
    pub codes: Vec<String>,
    /// Its comments, oldest first.
    pub comments: Vec<CommentRow>,
    /// Its year-end result.
    pub result: Option<ResultRow>,
}

/// The columns [`EntryRow`] reads from `book_entries e`.
pub const ENTRY_COLUMNS: &str = "e.id, e.member_id, e.year, e.kind, e.state, e.text, e.cited_documents, e.due_date, \
    e.action_status, e.period, e.remedies, e.corrects_id, e.corrected_by_id, e.organization_id, e.author, \
    e.revision, e.create_micros, e.submit_micros";

/// SQL condition: entry `a` is submitted and not superseded by a correction.
pub fn current_submitted(a: &str) -> String {
    format!(
        "{a}.state = {} AND {a}.corrected_by_id IS NULL",
        State::Submitted as i32
    )
}

/// Completes entry rows with their codes, comments and results: three more
/// queries, not three per entry.
pub async fn complete(conn: &mut AnyConnection, rows: Vec<EntryRow>) -> Result<Vec<EntryRecord>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let index: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();
    let list = placeholders(1, rows.len());
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut out: Vec<EntryRecord> = rows
        .into_iter()
        .map(|row| EntryRecord {
            row,
            codes: Vec::new(),
            comments: Vec::new(),
            result: None,
        })
        .collect();
    let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(format!(
        "SELECT entry_id, code FROM book_entry_manifestations WHERE entry_id IN ({list}) ORDER BY code"
    )));
    for id in &ids {
        q = q.bind(id);
    }
    for (entry, code) in q.fetch_all(&mut *conn).await? {
        out[index[&entry]].codes.push(code);
    }
    let mut q = sqlx::query_as::<_, CommentRow>(sqlx::AssertSqlSafe(format!(
        "SELECT entry_id, author, agency, text, create_micros FROM book_entry_comments \
         WHERE entry_id IN ({list}) ORDER BY create_micros, id"
    )));
    for id in &ids {
        q = q.bind(id);
    }
    for comment in q.fetch_all(&mut *conn).await? {
        let at = index[&comment.entry_id];
        out[at].comments.push(comment);
    }
    let mut q = sqlx::query_as::<_, ResultRow>(sqlx::AssertSqlSafe(format!(
        "SELECT entry_id, outcome, comment, author, record_micros FROM commitment_results WHERE entry_id IN ({list})"
    )));
    for id in &ids {
        q = q.bind(id);
    }
    for result in q.fetch_all(&mut *conn).await? {
        let at = index[&result.entry_id];
        out[at].result = Some(result);
    }
    Ok(out)
}

/// Entry `entry_id` of member `member_id`, complete.
pub async fn load(
    conn: &mut AnyConnection,
    member_id: &str,
    entry_id: &str,
) -> Result<Option<EntryRecord>> {
    let rows: Vec<EntryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM book_entries e WHERE e.id = $1 AND e.member_id = $2"
    )))
    .bind(entry_id)
    .bind(member_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(complete(conn, rows).await?.pop())
}

/// Every entry of a member's book of `year`, complete, in id order; only
/// the current submitted ones when `submitted_only`.
pub async fn book(
    conn: &mut AnyConnection,
    member_id: &str,
    year: i32,
    submitted_only: bool,
) -> Result<Vec<EntryRecord>> {
    let only = if submitted_only {
        format!("AND {}", current_submitted("e"))
    } else {
        String::new()
    };
    let rows: Vec<EntryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM book_entries e WHERE e.member_id = $1 AND e.year = $2 {only} ORDER BY e.id"
    )))
    .bind(member_id)
    .bind(i64::from(year))
    .fetch_all(&mut *conn)
    .await?;
    complete(conn, rows).await
}

/// A new entry to write.
pub struct NewEntry<'a> {
    /// Its id.
    pub id: &'a str,
    /// The member's id.
    pub member_id: &'a str,
    /// The member's organisation.
    pub organization_id: &'a str,
    /// The book's year.
    pub year: i32,
    /// Its kind.
    pub kind: Kind,
    /// Submitted at once, or a draft.
    pub submit: bool,
    /// The entry it corrects.
    pub corrects: Option<&'a str>,
    /// Who writes it.
    pub author: &'a str,
}

/// Inserts a new entry with its content at `now`.
pub async fn insert(
    conn: &mut AnyConnection,
    e: &NewEntry<'_>,
    content: &Content,
    now: i64,
) -> Result<()> {
    let state = if e.submit {
        State::Submitted
    } else {
        State::Draft
    };
    sqlx::query(
        "INSERT INTO book_entries (id, member_id, year, kind, state, text, cited_documents, due_date, action_status, \
         period, remedies, corrects_id, corrected_by_id, organization_id, author, revision, create_micros, submit_micros) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, $13, $14, 1, $15, $16)",
    )
    .bind(e.id)
    .bind(e.member_id)
    .bind(i64::from(e.year))
    .bind(e.kind as i64)
    .bind(state as i64)
    .bind(&content.text)
    .bind(content.documents.join("\n"))
    .bind(content.due_date.clone())
    .bind(Content::initial_action(e.kind) as i64)
    .bind(content.period as i64)
    .bind(&content.remedies)
    .bind(e.corrects)
    .bind(e.organization_id)
    .bind(e.author)
    .bind(now)
    .bind(e.submit.then_some(now))
    .execute(&mut *conn)
    .await?;
    write_codes(conn, e.id, content).await
}

/// Replaces an entry's manifestation codes.
async fn write_codes(conn: &mut AnyConnection, entry_id: &str, c: &Content) -> Result<()> {
    sqlx::query("DELETE FROM book_entry_manifestations WHERE entry_id = $1")
        .bind(entry_id)
        .execute(&mut *conn)
        .await?;
    for code in &c.codes {
        sqlx::query("INSERT INTO book_entry_manifestations (entry_id, code) VALUES ($1, $2)")
            .bind(entry_id)
            .bind(code)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Replaces a draft's content.
pub async fn update_content(conn: &mut AnyConnection, id: &str, content: &Content) -> Result<()> {
    sqlx::query(
        "UPDATE book_entries SET text = $1, cited_documents = $2, due_date = $3, period = $4, remedies = $5, \
         revision = revision + 1 WHERE id = $6",
    )
    .bind(&content.text)
    .bind(content.documents.join("\n"))
    .bind(content.due_date.clone())
    .bind(content.period as i64)
    .bind(&content.remedies)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    write_codes(conn, id, content).await
}

/// Submits a draft at `now`.
pub async fn submit(conn: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE book_entries SET state = $1, submit_micros = $2, revision = revision + 1 WHERE id = $3",
    )
    .bind(State::Submitted as i64)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks entry `id` corrected by `correction`.
pub async fn mark_corrected(conn: &mut AnyConnection, id: &str, correction: &str) -> Result<()> {
    sqlx::query(
        "UPDATE book_entries SET corrected_by_id = $1, revision = revision + 1 WHERE id = $2",
    )
    .bind(correction)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds a comment to entry `id`, with a new revision.
pub async fn add_comment(
    conn: &mut AnyConnection,
    id: &str,
    comment_id: &str,
    author: &str,
    agency: &str,
    text: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO book_entry_comments (id, entry_id, author, agency, text, create_micros) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(comment_id)
    .bind(id)
    .bind(author)
    .bind(agency)
    .bind(text)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    bump(conn, id).await
}

/// Sets an action item's progress.
pub async fn set_action_status(
    conn: &mut AnyConnection,
    id: &str,
    status: ActionItemStatus,
) -> Result<()> {
    sqlx::query(
        "UPDATE book_entries SET action_status = $1, revision = revision + 1 WHERE id = $2",
    )
    .bind(status as i64)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a commitment's year-end result, with a new revision.
pub async fn record_result(
    conn: &mut AnyConnection,
    id: &str,
    outcome: CommitmentOutcome,
    comment: &str,
    author: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO commitment_results (entry_id, outcome, comment, author, record_micros) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(outcome as i64)
    .bind(comment)
    .bind(author)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    bump(conn, id).await
}

async fn bump(conn: &mut AnyConnection, entry_id: &str) -> Result<()> {
    sqlx::query("UPDATE book_entries SET revision = revision + 1 WHERE id = $1")
        .bind(entry_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Where a register page starts: after this (path, kind, id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisterKey {
    /// The organisation's path.
    pub path: String,
    /// The entry's kind (-1 before any).
    pub kind: i64,
    /// The entry's id.
    pub id: String,
}

impl RegisterKey {
    /// Reads a key written by [`text`](Self::text); empty text is the start.
    pub fn parse(text: &str) -> Self {
        let mut key = text.splitn(3, '\n');
        Self {
            path: key.next().unwrap_or_default().to_string(),
            kind: key.next().and_then(|k| k.parse().ok()).unwrap_or(-1),
            id: key.next().unwrap_or_default().to_string(),
        }
    }

    /// The key as page-token text.
    pub fn text(&self) -> String {
        format!("{}\n{}\n{}", self.path, self.kind, self.id)
    }
}

/// A register entry with its sort path.
#[derive(Debug, Clone, sqlx::FromRow)]
struct RegisterRow {
    #[sqlx(flatten)]
    entry: EntryRow,
    sort_path: String,
}

/// One page of a year's current submitted commitments in the subtree at
/// `prefix` on `date`, optionally only those without a result, in register
/// order: organisations in tree order, then kind, then id. The keyset is
/// (path, kind, id), so a page walks the path index and stops, whatever
/// the subtree's size.
pub async fn commitments(
    conn: &mut AnyConnection,
    date: &str,
    prefix: &str,
    year: i32,
    pending: bool,
    after: &RegisterKey,
    limit: i64,
) -> Result<Vec<(EntryRecord, RegisterKey)>> {
    let pending_clause = if pending {
        "AND NOT EXISTS (SELECT 1 FROM commitment_results r WHERE r.entry_id = e.id)"
    } else {
        ""
    };
    let rows: Vec<RegisterRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS}, p.path AS sort_path FROM book_entries e \
         JOIN organization_placements p ON p.org_id = e.organization_id AND {} \
         WHERE p.path >= $2 AND p.path < $3 AND e.year = $4 AND e.kind IN ({}, {}) AND {} {pending_clause} \
         AND p.path >= $5 AND (p.path > $5 OR e.kind > $6 OR (e.kind = $6 AND e.id > $7)) \
         ORDER BY p.path, e.kind, e.id LIMIT $8",
        in_force("p", 1),
        Kind::Commitment as i32,
        Kind::HeadCommitment as i32,
        current_submitted("e"),
    )))
    .bind(date)
    .bind(prefix)
    .bind(upper(prefix))
    .bind(i64::from(year))
    .bind(&after.path)
    .bind(after.kind)
    .bind(&after.id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let keys: Vec<RegisterKey> = rows
        .iter()
        .map(|r| RegisterKey {
            path: r.sort_path.clone(),
            kind: r.entry.kind,
            id: r.entry.id.clone(),
        })
        .collect();
    let entries = complete(conn, rows.into_iter().map(|r| r.entry).collect()).await?;
    Ok(entries.into_iter().zip(keys).collect())
}

/// A head of an organisation missing a head's commitment or action plan.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HeadRow {
    /// Member id.
    pub id: String,
    /// Full name.
    pub full_name: String,
    /// Position.
    pub head_position: String,
    /// Organisation on the date.
    pub organization_id: String,
    /// 1 when a head's commitment is submitted.
    pub has_commitment: i64,
    /// 1 when a head's action-plan item is submitted.
    pub has_plan: i64,
}

/// One page of the heads, active on `date` in the subtree at `prefix`,
/// whose book of `year` lacks a current head's commitment or action-plan
/// item, after member id `after`.
pub async fn heads_missing(
    conn: &mut AnyConnection,
    date: &str,
    prefix: &str,
    year: i32,
    after: &str,
    limit: i64,
) -> Result<Vec<HeadRow>> {
    let has = |kind: Kind| {
        format!(
            "EXISTS (SELECT 1 FROM book_entries e WHERE e.member_id = m.id AND e.year = $4 AND e.kind = {} AND {})",
            kind as i32,
            current_submitted("e")
        )
    };
    let flag = |kind: Kind| format!("CASE WHEN {} THEN 1 ELSE 0 END", has(kind));
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT m.id, m.full_name, m.head_position, mp.organization_id, {} AS has_commitment, {} AS has_plan \
         FROM members m \
         JOIN member_periods mp ON mp.member_id = m.id AND {} AND mp.status IN ({}) \
         JOIN organization_placements p ON p.org_id = mp.organization_id AND {} \
         WHERE m.head_position <> '' AND p.path >= $2 AND p.path < $3 AND m.id > $5 \
         AND NOT ({} AND {}) ORDER BY m.id LIMIT $6",
        flag(Kind::HeadCommitment),
        flag(Kind::HeadActionItem),
        in_force("mp", 1),
        status_list(&ACTIVE),
        in_force("p", 1),
        has(Kind::HeadCommitment),
        has(Kind::HeadActionItem),
    )))
    .bind(date)
    .bind(prefix)
    .bind(upper(prefix))
    .bind(i64::from(year))
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Counts of current submitted entries citing each manifestation code, by
/// entry kind, in the subtree at `prefix` on `date`, for `year`:
/// `(code, kind, count)`.
pub async fn manifestation_counts(
    conn: &mut AnyConnection,
    date: &str,
    prefix: &str,
    year: i32,
) -> Result<Vec<(String, i64, i64)>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT bm.code, e.kind, COUNT(*) AS n FROM book_entries e \
         JOIN book_entry_manifestations bm ON bm.entry_id = e.id \
         JOIN organization_placements p ON p.org_id = e.organization_id AND {} \
         WHERE p.path >= $2 AND p.path < $3 AND e.year = $4 AND {} GROUP BY bm.code, e.kind",
        in_force("p", 1),
        current_submitted("e")
    )))
    .bind(date)
    .bind(prefix)
    .bind(upper(prefix))
    .bind(i64::from(year))
    .fetch_all(conn)
    .await?)
}
