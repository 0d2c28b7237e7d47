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
