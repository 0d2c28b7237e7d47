//! A case's history in storage.

use sqlx::AnyConnection;

use crate::error::Result;

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct EventRow {
    /// Its number within the case, from 1.
    pub seq: i64,
    /// `CaseEventKind`.
    pub kind: i64,
    /// `CaseStage` before.
    pub from_stage: i64,
    /// `CaseStage` after.
    pub to_stage: i64,
    /// The day it took effect (ISO).
    pub effective_date: String,
    /// Why.
    pub reason: String,
    /// The decision's number-symbol.
    pub decision_number: String,
    /// For an extension: the due date before (ISO).
    pub previous_due: Option<String>,
    /// For an extension: the due date after (ISO).
    pub new_due: Option<String>,
    /// Who.
    pub actor: String,
    /// Recorded (µs).
    pub create_micros: i64,
}

const COLUMNS: &str = "seq, kind, from_stage, to_stage, effective_date, reason, decision_number, \
    previous_due, new_due, actor, create_micros";

/// Appends an event to case `case_id` (its `seq` is assigned).
pub async fn append(conn: &mut AnyConnection, case_id: &str, e: &EventRow) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO case_events (case_id, {COLUMNS}) \
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 \
         FROM case_events WHERE case_id = $1"
    )))
    .bind(case_id)
    .bind(e.kind)
    .bind(e.from_stage)
    .bind(e.to_stage)
    .bind(&e.effective_date)
    .bind(&e.reason)
    .bind(&e.decision_number)
    .bind(&e.previous_due)
    .bind(&e.new_due)
    .bind(&e.actor)
    .bind(e.create_micros)
    .execute(conn)
    .await?;
    Ok(())
}

/// Events of case `case_id` after `after` (0: from the first), oldest
/// first, at most `limit`.
pub async fn list(
    conn: &mut AnyConnection,
    case_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<EventRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM case_events WHERE case_id = $1 AND seq > $2 ORDER BY seq LIMIT $3"
    )))
    .bind(case_id)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
