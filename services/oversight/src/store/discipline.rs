//! Disciplinary decisions in storage.

use sqlx::AnyConnection;

use crate::error::Result;

/// A decision as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DecisionRow {
    /// Id.
    pub id: String,
    /// The member's id.
    pub member_id: String,
    /// The member's name when recorded.
    pub member_name: String,
    /// `DisciplineForm`.
    pub form: i64,
    /// The deciding organisation's id.
    pub deciding_org_id: String,
    /// The decision's number-symbol.
    pub decision_number: String,
    /// The decision's date (ISO).
    pub decision_date: String,
    /// The day it takes effect (ISO).
    pub effective_date: String,
    /// The case's id; empty when none.
    pub case_id: String,
    /// Why.
    pub reason: String,
    /// `MembersEffect`.
    pub members_effect: i64,
    /// Members' refusal, or why the last attempt failed.
    pub members_effect_detail: String,
    /// Recorded (µs).
    pub create_micros: i64,
    /// Last changed (µs).
    pub update_micros: i64,
    /// The inspection it follows; empty when none.
    pub inspection_id: String,
}

const COLUMNS: &str = "id, member_id, member_name, form, deciding_org_id, decision_number, \
    decision_date, effective_date, case_id, reason, members_effect, members_effect_detail, \
    create_micros, update_micros, inspection_id";

/// The decision with id `id`.
pub async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<DecisionRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM disciplinary_decisions WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Records a decision.
pub async fn insert(conn: &mut AnyConnection, d: &DecisionRow) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO disciplinary_decisions ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    )))
    .bind(&d.id)
    .bind(&d.member_id)
    .bind(&d.member_name)
    .bind(d.form)
    .bind(&d.deciding_org_id)
    .bind(&d.decision_number)
    .bind(&d.decision_date)
    .bind(&d.effective_date)
    .bind(&d.case_id)
    .bind(&d.reason)
    .bind(d.members_effect)
    .bind(&d.members_effect_detail)
    .bind(d.create_micros)
    .bind(d.update_micros)
    .bind(&d.inspection_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records where a decision's change in members stands.
pub async fn set_effect(
    conn: &mut AnyConnection,
    id: &str,
    effect: i64,
    detail: &str,
    now_micros: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE disciplinary_decisions SET members_effect = $2, members_effect_detail = $3, \
         update_micros = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(effect)
    .bind(detail)
    .bind(now_micros)
    .execute(conn)
    .await?;
    Ok(())
}

/// Decisions on member `member_id` taking effect from `from` to before
/// `to` (ISO), after `(effective_date, id)`, at most `limit`.
/// Decisions of the deciding organisations `org_ids` effective from `from`
/// (included) to `to` (excluded), after the keyset `after` (effective
/// date, id), by effective date then id, at most `limit`. The ids are read
/// in chunks, each chunk's first `limit` merged.
pub async fn of_organizations(
    conn: &mut AnyConnection,
    org_ids: &[String],
    (from, to): (&str, &str),
    after: (&str, &str),
    limit: i64,
) -> Result<Vec<DecisionRow>> {
    const CHUNK: usize = 500;
    let mut out: Vec<DecisionRow> = Vec::new();
    for chunk in org_ids.chunks(CHUNK) {
        let ids: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 6)).collect();
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM disciplinary_decisions WHERE deciding_org_id IN ({}) \
               AND effective_date >= $1 AND effective_date < $2 \
               AND (effective_date > $3 OR (effective_date = $3 AND id > $4)) \
             ORDER BY effective_date, id LIMIT $5",
            ids.join(", ")
        )))
        .bind(from)
        .bind(to)
        .bind(after.0)
        .bind(after.1)
        .bind(limit);
        for id in chunk {
            query = query.bind(id);
        }
        out.extend(query.fetch_all(&mut *conn).await?);
    }
    out.sort_by(|a, b| (&a.effective_date, &a.id).cmp(&(&b.effective_date, &b.id)));
    out.truncate(limit.max(0) as usize);
    Ok(out)
}

pub async fn of_member(
    conn: &mut AnyConnection,
    member_id: &str,
    (from, to): (&str, &str),
    after: (&str, &str),
    limit: i64,
) -> Result<Vec<DecisionRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM disciplinary_decisions WHERE member_id = $1 \
           AND effective_date >= $2 AND effective_date < $3 \
           AND (effective_date > $4 OR (effective_date = $4 AND id > $5)) \
         ORDER BY effective_date, id LIMIT $6"
    )))
    .bind(member_id)
    .bind(from)
    .bind(to)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
