//! Whistleblower reports, the people they accuse and their messages. The
//! reporter's identity is not here ([`super::vault`]).

use probity_proto::probity::oversight::v1::ReportStatus;
use sqlx::AnyConnection;

use crate::error::Result;

/// A stored report.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportRow {
    /// Its id.
    pub id: String,
    /// The receiving organisation's id.
    pub org_id: String,
    /// That organisation's lineage when recorded (ids, `/`-joined).
    pub org_lineage: String,
    /// A `ReportChannel`.
    pub channel: i64,
    /// A `ReportCategory`.
    pub category: i64,
    /// What it says (empty once expired).
    pub content: String,
    /// Sector code or empty.
    pub sector: String,
    /// ISO day received.
    pub received_date: String,
    /// 1 when the reporter gave no identity.
    pub anonymous: i64,
    /// A `ReportStatus`.
    pub status: i64,
    /// A `ReportOutcome`.
    pub outcome: i64,
    /// ISO due date of the accept step, when it has a limit.
    pub accept_due: Option<String>,
    /// Its limit's citation.
    pub accept_citation: String,
    /// ISO due date of the resolve step, once its clock started.
    pub resolve_due: Option<String>,
    /// Its limit's citation.
    pub resolve_citation: String,
    /// The last decision's number-symbol.
    pub decision_number: String,
    /// The last decision's ISO day.
    pub decision_date: Option<String>,
    /// The last decision's reasons or findings.
    pub decision_note: String,
    /// The agency it was transferred to.
    pub transfer_agency_id: String,
    /// The case it belongs to.
    pub case_id: String,
    /// Its retention class, once finished.
    pub retention_class: String,
    /// The ISO day its content is destroyed, once finished.
    pub expire_date: Option<String>,
    /// 1 once its retention ended.
    pub expired: i64,
    /// The public part of its receipt code.
    pub receipt_locator: String,
    /// The receipt code's Argon2id hash.
    pub receipt_hash: String,
    /// Its revision, for etags.
    pub revision: i64,
    /// When recorded (µs).
    pub create_micros: i64,
}

const COLUMNS: &str = "id, org_id, org_lineage, channel, category, content, sector, \
    received_date, anonymous, status, outcome, accept_due, accept_citation, resolve_due, \
    resolve_citation, decision_number, decision_date, decision_note, transfer_agency_id, case_id, \
    retention_class, expire_date, expired, receipt_locator, receipt_hash, revision, create_micros";

/// A person a report accuses, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccusedRow {
    /// The member's id, or empty.
    pub member_id: String,
    /// The name.
    pub name: String,
    /// The position.
    pub position: String,
}

/// A message, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    /// The report's id.
    pub report_id: String,
    /// Its number on the report, from 1.
    pub seq: i64,
    /// A `MessageAuthor`.
    pub author: i64,
    /// 1 for an internal note.
    pub internal: i64,
    /// The text.
    pub text: String,
    /// Who wrote it: an officer's subject, or `receipt:{locator}`.
    pub author_subject: String,
    /// When (µs).
    pub create_micros: i64,
}

/// Stores a new report and the people it accuses.
pub async fn insert(conn: &mut AnyConnection, r: &ReportRow, accused: &[AccusedRow]) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO reports ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
         $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)"
    )))
    .bind(&r.id)
    .bind(&r.org_id)
    .bind(&r.org_lineage)
    .bind(r.channel)
    .bind(r.category)
    .bind(&r.content)
    .bind(&r.sector)
    .bind(&r.received_date)
    .bind(r.anonymous)
    .bind(r.status)
    .bind(r.outcome)
    .bind(&r.accept_due)
    .bind(&r.accept_citation)
    .bind(&r.resolve_due)
    .bind(&r.resolve_citation)
    .bind(&r.decision_number)
    .bind(&r.decision_date)
    .bind(&r.decision_note)
    .bind(&r.transfer_agency_id)
    .bind(&r.case_id)
    .bind(&r.retention_class)
    .bind(&r.expire_date)
    .bind(r.expired)
    .bind(&r.receipt_locator)
    .bind(&r.receipt_hash)
    .bind(r.revision)
    .bind(r.create_micros)
    .execute(&mut *conn)
    .await?;
    for (i, a) in accused.iter().enumerate() {
        sqlx::query(
            "INSERT INTO report_accused (report_id, position_no, member_id, name, position) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&r.id)
        .bind(i as i64)
        .bind(&a.member_id)
        .bind(&a.name)
        .bind(&a.position)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Saves a report's decision, case link and retention (the revision
/// already raised by the caller).
pub async fn save(conn: &mut AnyConnection, r: &ReportRow) -> Result<()> {
    sqlx::query(
        "UPDATE reports SET status = $2, outcome = $3, resolve_due = $4, resolve_citation = $5, \
         decision_number = $6, decision_date = $7, decision_note = $8, transfer_agency_id = $9, \
         case_id = $10, retention_class = $11, expire_date = $12, revision = $13 WHERE id = $1",
    )
    .bind(&r.id)
    .bind(r.status)
    .bind(r.outcome)
    .bind(&r.resolve_due)
    .bind(&r.resolve_citation)
    .bind(&r.decision_number)
    .bind(&r.decision_date)
    .bind(&r.decision_note)
    .bind(&r.transfer_agency_id)
    .bind(&r.case_id)
    .bind(&r.retention_class)
    .bind(&r.expire_date)
    .bind(r.revision)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The report `id`.
pub async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<ReportRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reports WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The report whose receipt code has `locator`.
pub async fn by_locator(conn: &mut AnyConnection, locator: &str) -> Result<Option<ReportRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reports WHERE receipt_locator = $1"
    )))
    .bind(locator)
    .fetch_optional(&mut *conn)
    .await?)
}

/// True when a receipt locator is taken (a new code is drawn then).
pub async fn locator_taken(conn: &mut AnyConnection, locator: &str) -> Result<bool> {
    Ok(by_locator(conn, locator).await?.is_some())
}

/// The people report `id` accuses, in the order given.
pub async fn accused(conn: &mut AnyConnection, id: &str) -> Result<Vec<AccusedRow>> {
    Ok(sqlx::query_as(
        "SELECT member_id, name, position FROM report_accused WHERE report_id = $1 \
         ORDER BY position_no",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?)
}

/// A page of the reports of the subtree of `org_id` (lineage prefix),
/// most recently received first, after the key `(received_date, id)`;
/// only `status` when not 0; with `overdue_on` (ISO day), only those past
/// the due date of their current step that day.
pub async fn list(
    conn: &mut AnyConnection,
    org_id: &str,
    status: i64,
    overdue_on: Option<&str>,
    after: (&str, &str),
    limit: i64,
) -> Result<Vec<ReportRow>> {
    let (day, id) = after;
    let first = day.is_empty();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reports \
         WHERE (org_id = $1 OR org_lineage LIKE $2) AND ($3 = 0 OR status = $3) \
         AND ($4 = 1 OR received_date < $5 OR (received_date = $5 AND id < $6)) \
         AND ($8 = 0 OR (expired = 0 AND ((status = $9 AND accept_due < $10) \
              OR (status = $11 AND resolve_due < $10)))) \
         ORDER BY received_date DESC, id DESC LIMIT $7"
    )))
    .bind(org_id)
    .bind(format!("%/{org_id}/%"))
    .bind(status)
    .bind(i64::from(first))
    .bind(day)
    .bind(id)
    .bind(limit)
    .bind(i64::from(overdue_on.is_some()))
    .bind(ReportStatus::Received as i64)
    .bind(overdue_on.unwrap_or(""))
    .bind(ReportStatus::Accepted as i64)
    .fetch_all(&mut *conn)
    .await?)
}

/// Stores a message as the next of its report.
pub async fn add_message(conn: &mut AnyConnection, m: &MessageRow) -> Result<i64> {
    let (next,): (i64,) = sqlx::query_as(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM report_messages WHERE report_id = $1",
    )
    .bind(&m.report_id)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO report_messages (report_id, seq, author, internal, text, author_subject, \
         create_micros) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&m.report_id)
    .bind(next)
    .bind(m.author)
    .bind(m.internal)
    .bind(&m.text)
    .bind(&m.author_subject)
    .bind(m.create_micros)
    .execute(&mut *conn)
    .await?;
    Ok(next)
}

/// A page of report `id`'s messages after number `after`, oldest first;
/// with `shared_only`, internal notes left out.
pub async fn messages(
    conn: &mut AnyConnection,
    id: &str,
    shared_only: bool,
    after: i64,
    limit: i64,
) -> Result<Vec<MessageRow>> {
    Ok(sqlx::query_as(
        "SELECT report_id, seq, author, internal, text, author_subject, create_micros \
         FROM report_messages WHERE report_id = $1 AND seq > $2 AND ($3 = 0 OR internal = 0) \
         ORDER BY seq LIMIT $4",
    )
    .bind(id)
    .bind(after)
    .bind(i64::from(shared_only))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?)
}

/// The latest `limit` messages shared with the reporter, oldest first.
pub async fn latest_shared(
    conn: &mut AnyConnection,
    id: &str,
    limit: i64,
) -> Result<Vec<MessageRow>> {
    let mut rows: Vec<MessageRow> = sqlx::query_as(
        "SELECT report_id, seq, author, internal, text, author_subject, create_micros \
         FROM report_messages WHERE report_id = $1 AND internal = 0 ORDER BY seq DESC LIMIT $2",
    )
    .bind(id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.reverse();
    Ok(rows)
}

/// Destroys what report `id` held — content, accused, messages, its
/// protection file (the sealed identity goes with [`super::vault::destroy`]) — and
/// marks it expired; its tombstone (dates, category, status, outcome)
/// stays.
pub async fn expire(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM report_accused WHERE report_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM report_messages WHERE report_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM protection_entries WHERE report_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE reports SET content = '', decision_note = '', expired = 1, \
         revision = revision + 1 WHERE id = $1",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
