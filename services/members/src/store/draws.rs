//! Verification draws in storage, with their published input.

use probity_proto::probity::members::v1::{DeclarationKind, ObligationListState};
use sqlx::AnyConnection;

use super::organizations::in_force;
use crate::{error::Result, rules::names::upper};

/// The annual declarants of `year` in the subtree at `prefix` on `date`,
/// each with whether an approved obligation list of the year names them a
/// leader: `(member id, leader)`.
pub async fn candidates(
    conn: &mut AnyConnection,
    date: &str,
    prefix: &str,
    year: i32,
) -> Result<Vec<(String, bool)>> {
    let rows: Vec<(String, Option<i64>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT d.member_id, \
         (SELECT MAX(o.leader) FROM obligations o JOIN obligation_lists l ON l.org_id = o.org_id AND l.year = o.year \
          WHERE o.member_id = d.member_id AND o.year = $4 AND l.state = {}) AS leader \
         FROM declarations d JOIN organization_placements p ON p.org_id = d.organization_id AND {} \
         WHERE p.path >= $2 AND p.path < $3 AND d.year = $4 AND d.kind = {}",
        ObligationListState::Approved as i32,
        in_force("p", 1),
        DeclarationKind::Annual as i32
    )))
    .bind(date)
    .bind(prefix)
    .bind(upper(prefix))
    .bind(i64::from(year))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(member, leader)| (member, leader.unwrap_or(0) != 0))
        .collect())
}

/// A draw as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DrawRow {
    /// Id.
    pub id: String,
    /// The organisation drawn in.
    pub org_id: String,
    /// The year.
    pub year: i64,
    /// The published seed.
    pub seed: String,
    /// The share drawn, in percent.
    pub percent: i64,
    /// The input, `members/{id},leader` lines.
    pub input: String,
    /// The members selected, one per line.
    pub selected: String,
    /// Hex SHA-256 of the input.
    pub input_digest: String,
    /// Who drew.
    pub drawn_by: String,
    /// When (µs).
    pub create_micros: i64,
    /// 1 for the first draw of the organisation and year.
    pub attempt: i64,
    /// Why a redraw was made (empty for the first).
    pub redraw_reason: String,
}

const DRAW_COLUMNS: &str = "id, org_id, year, seed, percent, input, selected, input_digest, drawn_by, \
     create_micros, attempt, redraw_reason";

/// Records a draw.
pub async fn insert(conn: &mut AnyConnection, d: &DrawRow) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO verification_draws ({DRAW_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    )))
    .bind(&d.id)
    .bind(&d.org_id)
    .bind(d.year)
    .bind(&d.seed)
    .bind(d.percent)
    .bind(&d.input)
    .bind(&d.selected)
    .bind(&d.input_digest)
    .bind(&d.drawn_by)
    .bind(d.create_micros)
    .bind(d.attempt)
    .bind(&d.redraw_reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// The draw with id `id`.
pub async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<DrawRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {DRAW_COLUMNS} FROM verification_draws WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// How many draws organisation `org_id` has for `year` (`None`: none).
pub async fn attempts(conn: &mut AnyConnection, org_id: &str, year: i32) -> Result<Option<i64>> {
    let (n,): (Option<i64>,) = sqlx::query_as(
        "SELECT MAX(attempt) FROM verification_draws WHERE org_id = $1 AND year = $2",
    )
    .bind(org_id)
    .bind(i64::from(year))
    .fetch_one(conn)
    .await?;
    Ok(n)
}
