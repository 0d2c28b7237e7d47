//! The reads behind statistics.

use sqlx::AnyConnection;

use crate::{
    error::Result,
    store::cases::{CaseRow, columns},
};

/// The cases of the subtree of `org_id` (as recorded) designated by a
/// decision dated from `from` to `to` (ISO, both included).
pub async fn designated_between(
    conn: &mut AnyConnection,
    org_id: &str,
    (from, to): (&str, &str),
) -> Result<Vec<CaseRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {cols} FROM cases c JOIN designations d ON d.case_id = c.id \
         WHERE c.jurisdiction_lineage LIKE $1 AND d.decision_date >= $2 AND d.decision_date <= $3 \
         ORDER BY c.id",
        cols = columns("c")
    )))
    .bind(format!("%/{org_id}/%"))
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// A report as statistics read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportFactsRow {
    /// The receiving organisation's lineage as recorded.
    pub org_lineage: String,
    /// A `ReportCategory`.
    pub category: i64,
    /// A `ReportStatus`.
    pub status: i64,
    /// A `ReportOutcome`.
    pub outcome: i64,
    /// 1 when anonymous.
    pub anonymous: i64,
    /// ISO due date of the accept step.
    pub accept_due: Option<String>,
    /// ISO due date of the resolve step.
    pub resolve_due: Option<String>,
    /// ISO day of the last decision.
    pub decision_date: Option<String>,
    /// 1 when a protection measure is on file.
    pub protected: i64,
    /// 1 when a retaliation complaint is on file.
    pub retaliation: i64,
}

/// The reports of the subtree of `org_id` (as recorded) received from
/// `from` to `to` (ISO, both included), with whether their protection file
/// holds a measure (`measure`) and a retaliation complaint (`complaint`,
/// both `ProtectionEntryKind` values).
pub async fn reports_between(
    conn: &mut AnyConnection,
    org_id: &str,
    (from, to): (&str, &str),
    (measure, complaint): (i64, i64),
) -> Result<Vec<ReportFactsRow>> {
    Ok(sqlx::query_as(
        "SELECT r.org_lineage, r.category, r.status, r.outcome, r.anonymous, r.accept_due, \
         r.resolve_due, r.decision_date, \
         CASE WHEN EXISTS (SELECT 1 FROM protection_entries p WHERE p.report_id = r.id \
           AND p.kind = $4) THEN 1 ELSE 0 END AS protected, \
         CASE WHEN EXISTS (SELECT 1 FROM protection_entries p WHERE p.report_id = r.id \
           AND p.kind = $5) THEN 1 ELSE 0 END AS retaliation \
         FROM reports r WHERE r.org_lineage LIKE $1 AND r.received_date >= $2 \
         AND r.received_date <= $3 ORDER BY r.id",
    )
    .bind(format!("%/{org_id}/%"))
    .bind(from)
    .bind(to)
    .bind(measure)
    .bind(complaint)
    .fetch_all(conn)
    .await?)
}
