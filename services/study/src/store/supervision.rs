//! Supervision visits in storage.

use sqlx::AnyConnection;

use crate::error::Result;

/// A visit as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VisitRow {
    /// Id.
    pub id: String,
    /// The plan's id.
    pub plan_id: String,
    /// The inspecting organisation's id.
    pub inspecting_id: String,
    /// The inspected organisation's id.
    pub inspected_id: String,
    /// The day of the visit (ISO).
    pub visit_date: String,
    /// Findings.
    pub findings: String,
    /// Recommendations.
    pub recommendations: String,
    /// `SupervisionRating`.
    pub rating: i64,
    /// Recorded (µs).
    pub create_micros: i64,
}

const COLUMNS: &str = "id, plan_id, inspecting_id, inspected_id, visit_date, findings, recommendations, rating, \
    create_micros";

/// The visit with id `id`.
pub async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<VisitRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM supervision_visits WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Records a visit.
pub async fn insert(conn: &mut AnyConnection, v: &VisitRow) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO supervision_visits ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )))
    .bind(&v.id)
    .bind(&v.plan_id)
    .bind(&v.inspecting_id)
    .bind(&v.inspected_id)
    .bind(&v.visit_date)
    .bind(&v.findings)
    .bind(&v.recommendations)
    .bind(v.rating)
    .bind(v.create_micros)
    .execute(conn)
    .await?;
    Ok(())
}

/// One page of a plan's visits (optionally to one organisation), by date,
/// after (date, id) `after`.
pub async fn list(
    conn: &mut AnyConnection,
    plan_id: &str,
    inspected: &str,
    after: (&str, &str),
    limit: i64,
) -> Result<Vec<VisitRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM supervision_visits WHERE plan_id = $1 AND ($2 = '' OR inspected_id = $2) \
         AND (visit_date > $3 OR (visit_date = $3 AND id > $4)) ORDER BY visit_date, id LIMIT $5"
    )))
    .bind(plan_id)
    .bind(inspected)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
