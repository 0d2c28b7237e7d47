//! Agencies' progress reports in storage.

use sqlx::AnyConnection;

use crate::error::Result;

/// A report as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReportRow {
    /// Id.
    pub id: String,
    /// The case's id.
    pub case_id: String,
    /// The agency's id.
    pub agency_id: String,
    /// The day of the report (ISO).
    pub report_date: String,
    /// Summary.
    pub summary: String,
    /// Recovered since the previous report, VND.
    pub recovered_vnd: i64,
    /// Filed (µs).
    pub create_micros: i64,
}

const COLUMNS: &str = "id, case_id, agency_id, report_date, summary, recovered_vnd, create_micros";

/// Files a report.
pub async fn insert(conn: &mut AnyConnection, r: &ReportRow) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO progress_reports ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )))
    .bind(&r.id)
    .bind(&r.case_id)
    .bind(&r.agency_id)
    .bind(&r.report_date)
    .bind(&r.summary)
    .bind(r.recovered_vnd)
    .bind(r.create_micros)
    .execute(conn)
    .await?;
    Ok(())
}

/// Reports on case `case_id` after id `after` (empty: from the first), in
/// filing order, at most `limit`.
pub async fn list(
    conn: &mut AnyConnection,
    case_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<ReportRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM progress_reports WHERE case_id = $1 AND id > $2 \
         ORDER BY id LIMIT $3"
    )))
    .bind(case_id)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
