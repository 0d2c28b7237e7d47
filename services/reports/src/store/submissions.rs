//! Submissions in storage: inserted, listed by the organisation submitted
//! to and the period.

use sqlx::AnyConnection;

use crate::error::Result;

/// A submission as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubmissionRow {
    /// Id.
    pub id: String,
    /// The report's id.
    pub report_id: String,
    /// The submitting organisation's id.
    pub organization_id: String,
    /// The parent's id.
    pub to_organization_id: String,
    /// The period's first day (`YYYY-MM-DD`).
    pub period_start: String,
    /// Its last day.
    pub period_end: String,
    /// The day submitted.
    pub submitted_date: String,
    /// The deadline.
    pub due_date: String,
    /// 1 when late.
    pub late: i64,
    /// The deadline's citation.
    pub deadline_rule: String,
    /// Submitted (µs).
    pub submit_micros: i64,
    /// Who submitted it.
    pub submitted_by: String,
}

const COLUMNS: &str = "id, report_id, organization_id, to_organization_id, period_start, \
    period_end, submitted_date, due_date, late, deadline_rule, submit_micros, submitted_by";

/// Stores a submission.
pub async fn insert(conn: &mut AnyConnection, s: &SubmissionRow) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO submissions ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    )))
    .bind(&s.id)
    .bind(&s.report_id)
    .bind(&s.organization_id)
    .bind(&s.to_organization_id)
    .bind(&s.period_start)
    .bind(&s.period_end)
    .bind(&s.submitted_date)
    .bind(&s.due_date)
    .bind(s.late)
    .bind(&s.deadline_rule)
    .bind(s.submit_micros)
    .bind(&s.submitted_by)
    .execute(conn)
    .await?;
    Ok(())
}

/// The submissions to `to_org` for the period, oldest first.
pub async fn to_parent(
    conn: &mut AnyConnection,
    to_org: &str,
    (start, end): (&str, &str),
) -> Result<Vec<SubmissionRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM submissions \
         WHERE to_organization_id = $1 AND period_start = $2 AND period_end = $3 \
         ORDER BY submit_micros, id"
    )))
    .bind(to_org)
    .bind(start)
    .bind(end)
    .fetch_all(conn)
    .await?)
}
