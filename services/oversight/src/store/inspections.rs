//! Inspections in storage, and the cases and decisions that name them.

use sqlx::AnyConnection;

use crate::error::Result;

/// An inspection as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InspectionRow {
    /// Id.
    pub id: String,
    /// `InspectionKind`.
    pub kind: i64,
    /// The owning organisation's id.
    pub org_id: String,
    /// Its lineage (`/root/…/id/`) when recorded.
    pub org_lineage: String,
    /// The conducting agency's id (State); empty for Party.
    pub conducting_agency_id: String,
    /// The subject's resource name (Party); empty for State.
    pub subject: String,
    /// The unit inspected (State).
    pub subject_unit: String,
    /// The sector's code, possibly empty.
    pub sector: String,
    /// The plan's number-symbol.
    pub plan_reference: String,
    /// The opening decision's number-symbol.
    pub decision_number: String,
    /// The period inspected (ISO).
    pub period_start: String,
    /// The period inspected (ISO).
    pub period_end: String,
    /// The first day (ISO).
    pub start_date: String,
    /// The findings; empty while open.
    pub findings: String,
    /// The conclusion's day (ISO).
    pub conclusion_date: Option<String>,
    /// Revision, for the etag.
    pub revision: i64,
    /// Recorded (µs).
    pub create_micros: i64,
}

const COLUMNS: &str = "id, kind, org_id, org_lineage, conducting_agency_id, subject, subject_unit, \
    sector, plan_reference, decision_number, period_start, period_end, start_date, findings, \
    conclusion_date, revision, create_micros";

/// The inspection with id `id`.
pub async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<InspectionRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM inspections WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Records an inspection.
pub async fn insert(conn: &mut AnyConnection, i: &InspectionRow) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO inspections ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16, $17)"
    )))
    .bind(&i.id)
    .bind(i.kind)
    .bind(&i.org_id)
    .bind(&i.org_lineage)
    .bind(&i.conducting_agency_id)
    .bind(&i.subject)
    .bind(&i.subject_unit)
    .bind(&i.sector)
    .bind(&i.plan_reference)
    .bind(&i.decision_number)
    .bind(&i.period_start)
    .bind(&i.period_end)
    .bind(&i.start_date)
    .bind(&i.findings)
    .bind(&i.conclusion_date)
    .bind(i.revision)
    .bind(i.create_micros)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the conclusion of inspection `id`.
pub async fn conclude(conn: &mut AnyConnection, id: &str, findings: &str, day: &str) -> Result<()> {
    sqlx::query(
        "UPDATE inspections SET findings = $2, conclusion_date = $3, revision = revision + 1 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(findings)
    .bind(day)
    .execute(conn)
    .await?;
    Ok(())
}

/// Inspections whose recorded lineage holds `org_id`, of `kind` (0: any),
/// before `(start_date, id)` (most recent first), at most `limit`.
pub async fn list(
    conn: &mut AnyConnection,
    org_id: &str,
    kind: i64,
    after: (&str, &str),
    limit: i64,
) -> Result<Vec<InspectionRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM inspections WHERE org_lineage LIKE $1 AND ($2 = 0 OR kind = $2) \
           AND ($3 = '' OR start_date < $3 OR (start_date = $3 AND id < $4)) \
         ORDER BY start_date DESC, id DESC LIMIT $5"
    )))
    .bind(format!("%/{org_id}/%"))
    .bind(kind)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The cases naming inspection `id`: (case id, jurisdiction id).
pub async fn cases(conn: &mut AnyConnection, id: &str) -> Result<Vec<(String, String)>> {
    Ok(
        sqlx::query_as(
            "SELECT id, jurisdiction_id FROM cases WHERE inspection_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(conn)
        .await?,
    )
}

/// The disciplinary decisions naming inspection `id`: (decision id,
/// deciding organisation id).
pub async fn decisions(conn: &mut AnyConnection, id: &str) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, deciding_org_id FROM disciplinary_decisions WHERE inspection_id = $1 \
         ORDER BY id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?)
}
