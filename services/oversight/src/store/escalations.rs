//! Escalations in storage: one row per (case, threshold, crossing), so a
//! crossing recorded twice is recorded once.

use sqlx::AnyConnection;

use crate::error::Result;

/// An escalation as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EscalationRow {
    /// The case's id.
    pub case_id: String,
    /// `EscalationThreshold`.
    pub threshold: i64,
    /// What makes this crossing (rules::monitoring::Crossing::key).
    pub crossing: String,
    /// The due date it is about (ISO).
    pub due_date: Option<String>,
    /// The day it was found (ISO).
    pub found_date: String,
    /// The organisation escalated to (id).
    pub escalated_to: String,
    /// Recorded (µs).
    pub create_micros: i64,
}

const COLUMNS: &str =
    "case_id, threshold, crossing, due_date, found_date, escalated_to, create_micros";

/// Records an escalation unless its crossing is recorded already; returns
/// whether it is new.
pub async fn record(conn: &mut AnyConnection, e: &EscalationRow) -> Result<bool> {
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO escalations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (case_id, threshold, crossing) DO NOTHING"
    )))
    .bind(&e.case_id)
    .bind(e.threshold)
    .bind(&e.crossing)
    .bind(&e.due_date)
    .bind(&e.found_date)
    .bind(&e.escalated_to)
    .bind(e.create_micros)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Escalations of case `case_id` after `(create_micros, threshold,
/// crossing)`, oldest first, at most `limit`.
pub async fn list(
    conn: &mut AnyConnection,
    case_id: &str,
    after: (i64, i64, &str),
    limit: i64,
) -> Result<Vec<EscalationRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM escalations WHERE case_id = $1 \
           AND (create_micros > $2 OR (create_micros = $2 AND threshold > $3) \
                OR (create_micros = $2 AND threshold = $3 AND crossing > $4)) \
         ORDER BY create_micros, threshold, crossing LIMIT $5"
    )))
    .bind(case_id)
    .bind(after.0)
    .bind(after.1)
    .bind(after.2)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
