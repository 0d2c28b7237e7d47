//! Issued reports in storage: inserted once, never changed (triggers
//! refuse UPDATE and DELETE), listed newest first.

use sqlx::AnyConnection;

use crate::error::Result;

/// An issued report as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportRow {
    /// Id.
    pub id: String,
    /// The organisation's id.
    pub organization_id: String,
    /// The definition's id.
    pub definition_id: String,
    /// Its version.
    pub definition_version: i64,
    /// First day (`YYYY-MM-DD`).
    pub period_start: String,
    /// Last day.
    pub period_end: String,
    /// As of.
    pub as_of: String,
    /// The report's digest.
    pub digest: String,
    /// The calls it read, JSON (`[InputCall]`).
    pub inputs: String,
    /// The protobuf encoding of the `PeriodReport`.
    pub body: Vec<u8>,
    /// Issued (µs).
    pub issue_micros: i64,
}

const COLUMNS: &str = "id, organization_id, definition_id, definition_version, period_start, \
    period_end, as_of, digest, inputs, body, issue_micros";

/// Stores an issued report.
pub async fn insert(conn: &mut AnyConnection, r: &ReportRow) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO reports ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    )))
    .bind(&r.id)
    .bind(&r.organization_id)
    .bind(&r.definition_id)
    .bind(r.definition_version)
    .bind(&r.period_start)
    .bind(&r.period_end)
    .bind(&r.as_of)
    .bind(&r.digest)
    .bind(&r.inputs)
    .bind(&r.body)
    .bind(r.issue_micros)
    .execute(conn)
    .await?;
    Ok(())
}

/// The report with id `id`.
pub async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<ReportRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reports WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Reports after the keyset `after` (`(issue_micros, id)`, newest first),
/// of organisation `org_id` when given, at most `limit`.
pub async fn list(
    conn: &mut AnyConnection,
    org_id: Option<&str>,
    after: Option<(i64, &str)>,
    limit: i64,
) -> Result<Vec<ReportRow>> {
    let (micros, id) = after.unwrap_or((i64::MAX, ""));
    let org_filter = if org_id.is_some() {
        "organization_id = $4 AND"
    } else {
        "$4 = $4 AND"
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reports WHERE {org_filter} \
         (issue_micros < $1 OR (issue_micros = $1 AND ($2 = '' OR id < $2))) \
         ORDER BY issue_micros DESC, id DESC LIMIT $3"
    )))
    .bind(micros)
    .bind(id)
    .bind(limit)
    .bind(org_id.unwrap_or_default())
    .fetch_all(conn)
    .await?)
}
