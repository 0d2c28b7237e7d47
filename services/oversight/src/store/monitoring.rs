//! Designations in storage, and the monitored cases' lists: one query
//! each, the conditions of `rules::monitoring` written in SQL over the
//! stored clock (`original_due`, `extended_due`) and last activity
//! (`update_micros`).

use probity_proto::probity::oversight::v1::CaseStage;
use sqlx::AnyConnection;

use crate::{
    error::Result,
    store::cases::{CaseRow, columns},
};

/// A designation as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DesignationRow {
    /// The case's id.
    pub case_id: String,
    /// `DesignatingBody`.
    pub designated_by: i64,
    /// The decision's number-symbol.
    pub decision_number: String,
    /// The decision's date (ISO).
    pub decision_date: String,
    /// `DesignationCriterion` values, comma-separated.
    pub criteria: String,
    /// Why.
    pub reason: String,
    /// Who recorded it.
    pub actor: String,
    /// Recorded (µs).
    pub create_micros: i64,
}

const COLUMNS: &str = "case_id, designated_by, decision_number, decision_date, criteria, reason, actor, create_micros";

/// The designation of case `case_id`, if any.
pub async fn load(conn: &mut AnyConnection, case_id: &str) -> Result<Option<DesignationRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM designations WHERE case_id = $1"
    )))
    .bind(case_id)
    .fetch_optional(conn)
    .await?)
}

/// Records a designation.
pub async fn insert(conn: &mut AnyConnection, d: &DesignationRow) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO designations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    )))
    .bind(&d.case_id)
    .bind(d.designated_by)
    .bind(&d.decision_number)
    .bind(&d.decision_date)
    .bind(&d.criteria)
    .bind(&d.reason)
    .bind(&d.actor)
    .bind(d.create_micros)
    .execute(conn)
    .await?;
    Ok(())
}

/// Which monitored cases a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which<'a> {
    /// Every designated case, by due date.
    All,
    /// Working cases due from `from` to `to` (ISO, both included).
    DueBetween(&'a str, &'a str),
    /// Working cases due before `before` (ISO).
    DueBefore(&'a str),
}

/// The due date in force, as SQL over `c`.
const DUE: &str = "COALESCE(c.extended_due, c.original_due)";

/// Designated cases of the subtree of `org_id` (as recorded) that `which`
/// keeps, by due date (none last) then id, after `(due, id)`; at most
/// `limit`.
pub async fn by_due(
    conn: &mut AnyConnection,
    org_id: &str,
    which: Which<'_>,
    after: (&str, &str),
    limit: i64,
) -> Result<Vec<CaseRow>> {
    let (kind, from, to) = match which {
        Which::All => (0, "", ""),
        Which::DueBetween(from, to) => (1, from, to),
        Which::DueBefore(before) => (2, before, ""),
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {cols} FROM cases c JOIN designations d ON d.case_id = c.id \
         WHERE c.jurisdiction_lineage LIKE $1 \
           AND ($2 = 0 OR (c.stage NOT IN ($3, $4, $5) AND ( \
                 ($2 = 1 AND {DUE} >= $6 AND {DUE} <= $7) OR ($2 = 2 AND {DUE} < $6)))) \
           AND ($8 = '' OR COALESCE({DUE}, '9999-12-31') > $8 \
                OR (COALESCE({DUE}, '9999-12-31') = $8 AND c.id > $9)) \
         ORDER BY COALESCE({DUE}, '9999-12-31'), c.id LIMIT $10",
        cols = columns("c")
    )))
    .bind(format!("%/{org_id}/%"))
    .bind(kind)
    .bind(CaseStage::Closed as i64)
    .bind(CaseStage::Suspended as i64)
    .bind(CaseStage::Dismissed as i64)
    .bind(from)
    .bind(to)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Designated working cases of the subtree of `org_id` with no activity
/// since `idle_since` (µs), least recently active first, after
/// `(update_micros, id)`; at most `limit`.
pub async fn stalled(
    conn: &mut AnyConnection,
    org_id: &str,
    idle_since: i64,
    after: (i64, &str),
    limit: i64,
) -> Result<Vec<CaseRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {cols} FROM cases c JOIN designations d ON d.case_id = c.id \
         WHERE c.jurisdiction_lineage LIKE $1 AND c.stage NOT IN ($2, $3, $4) \
           AND c.update_micros <= $5 \
           AND (c.update_micros > $6 OR (c.update_micros = $6 AND c.id > $7)) \
         ORDER BY c.update_micros, c.id LIMIT $8",
        cols = columns("c")
    )))
    .bind(format!("%/{org_id}/%"))
    .bind(CaseStage::Closed as i64)
    .bind(CaseStage::Suspended as i64)
    .bind(CaseStage::Dismissed as i64)
    .bind(idle_since)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Every designated case not finished, for the escalation scan.
pub async fn open_designated(conn: &mut AnyConnection) -> Result<Vec<CaseRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {cols} FROM cases c JOIN designations d ON d.case_id = c.id \
         WHERE c.stage NOT IN ($1, $2) ORDER BY c.id",
        cols = columns("c")
    )))
    .bind(CaseStage::Closed as i64)
    .bind(CaseStage::Dismissed as i64)
    .fetch_all(conn)
    .await?)
}
