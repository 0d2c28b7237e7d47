//! Recommendations in storage.

use sqlx::AnyConnection;

use crate::error::Result;

/// A recommendation as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RecommendationRow {
    /// Id.
    pub id: String,
    /// `RecommendationSource`.
    pub source: i64,
    /// The source document, canonical.
    pub source_document: String,
    /// Its date (ISO).
    pub source_date: String,
    /// The owning organisation's id.
    pub org_id: String,
    /// Its lineage (`/root/…/id/`) when recorded.
    pub org_lineage: String,
    /// The addressed agency's id; empty when the organisation itself.
    pub agency_id: String,
    /// The responsible person.
    pub responsible_person: String,
    /// `RecommendationKind`.
    pub kind: i64,
    /// Its text.
    pub content: String,
    /// Amount to recover, VND.
    pub recommended_vnd: i64,
    /// Amount implemented, VND.
    pub implemented_vnd: i64,
    /// Due (ISO).
    pub due_date: String,
    /// 1 for a priority one.
    pub priority: i64,
    /// The action plan last reported.
    pub action_plan: String,
    /// `RecommendationStatus`.
    pub status: i64,
    /// Who reported progress last: subject.
    pub reporter_subject: String,
    /// Who reported progress last: agency.
    pub reporter_agency: String,
    /// The closure's evidence.
    pub evidence: String,
    /// Who verified the closure.
    pub verified_by: String,
    /// The closure's day (ISO).
    pub close_date: Option<String>,
    /// Revision, for the etag.
    pub revision: i64,
    /// Recorded (µs).
    pub create_micros: i64,
}

const COLUMNS: &str = "id, source, source_document, source_date, org_id, org_lineage, agency_id, \
    responsible_person, kind, content, recommended_vnd, implemented_vnd, due_date, priority, \
    action_plan, status, reporter_subject, reporter_agency, evidence, verified_by, close_date, \
    revision, create_micros";

/// The recommendation with id `id`.
pub async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<RecommendationRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM recommendations WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Records a recommendation.
pub async fn insert(conn: &mut AnyConnection, r: &RecommendationRow) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO recommendations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)"
    )))
    .bind(&r.id)
    .bind(r.source)
    .bind(&r.source_document)
    .bind(&r.source_date)
    .bind(&r.org_id)
    .bind(&r.org_lineage)
    .bind(&r.agency_id)
    .bind(&r.responsible_person)
    .bind(r.kind)
    .bind(&r.content)
    .bind(r.recommended_vnd)
    .bind(r.implemented_vnd)
    .bind(&r.due_date)
    .bind(r.priority)
    .bind(&r.action_plan)
    .bind(r.status)
    .bind(&r.reporter_subject)
    .bind(&r.reporter_agency)
    .bind(&r.evidence)
    .bind(&r.verified_by)
    .bind(&r.close_date)
    .bind(r.revision)
    .bind(r.create_micros)
    .execute(conn)
    .await?;
    Ok(())
}

/// Saves what progress and closure change, the revision bumped.
pub async fn save(conn: &mut AnyConnection, r: &RecommendationRow) -> Result<()> {
    sqlx::query(
        "UPDATE recommendations SET implemented_vnd = $2, action_plan = $3, status = $4, \
         reporter_subject = $5, reporter_agency = $6, evidence = $7, verified_by = $8, \
         close_date = $9, revision = revision + 1 WHERE id = $1",
    )
    .bind(&r.id)
    .bind(r.implemented_vnd)
    .bind(&r.action_plan)
    .bind(r.status)
    .bind(&r.reporter_subject)
    .bind(&r.reporter_agency)
    .bind(&r.evidence)
    .bind(&r.verified_by)
    .bind(&r.close_date)
    .execute(conn)
    .await?;
    Ok(())
}

/// A list's filter.
#[derive(Debug, Clone, Default)]
pub struct Filter<'a> {
    /// Recommendations whose recorded lineage holds this organisation.
    pub org_id: &'a str,
    /// `RecommendationStatus`; 0: any.
    pub status: i64,
    /// When set, only those open or in progress due before this day (ISO).
    pub overdue_before: &'a str,
    /// `(OPEN, IN_PROGRESS)` as stored.
    pub pending: (i64, i64),
}

/// Recommendations of the filter after `(due_date, id)`, by due date, at
/// most `limit`.
pub async fn list(
    conn: &mut AnyConnection,
    f: &Filter<'_>,
    after: (&str, &str),
    limit: i64,
) -> Result<Vec<RecommendationRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM recommendations WHERE org_lineage LIKE $1 \
           AND ($2 = 0 OR status = $2) \
           AND ($3 = '' OR (due_date < $3 AND status IN ($4, $5))) \
           AND (due_date > $6 OR (due_date = $6 AND id > $7)) \
         ORDER BY due_date, id LIMIT $8"
    )))
    .bind(format!("%/{}/%", f.org_id))
    .bind(f.status)
    .bind(f.overdue_before)
    .bind(f.pending.0)
    .bind(f.pending.1)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Every recommendation of the subtree of `org_id` due from `from` to `to`
/// (ISO, both included), for the rate.
pub async fn due_between(
    conn: &mut AnyConnection,
    org_id: &str,
    (from, to): (&str, &str),
) -> Result<Vec<RecommendationRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM recommendations WHERE org_lineage LIKE $1 \
           AND due_date >= $2 AND due_date <= $3 ORDER BY due_date, id"
    )))
    .bind(format!("%/{org_id}/%"))
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}
