//! Obligation lists in storage: who must declare, per organisation and
//! year, and whether the list is approved.

use probity_proto::probity::members::v1::ObligationListState;
use sqlx::AnyConnection;

use crate::error::Result;

/// An obligation list as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListRow {
    /// `ObligationListState`.
    pub state: i64,
    /// Who approved it.
    pub approved_by: Option<String>,
    /// When (µs).
    pub approve_micros: Option<i64>,
    /// Revision, for the etag.
    pub revision: i64,
}

/// One member on a list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ObligationRow {
    /// The member's id.
    pub member_id: String,
    /// 1 for a leader.
    pub leader: i64,
    /// The member's position.
    pub position: String,
}

/// The list of `org_id` for `year` with its members, in member order.
pub async fn load(
    conn: &mut AnyConnection,
    org_id: &str,
    year: i32,
) -> Result<Option<(ListRow, Vec<ObligationRow>)>> {
    let Some(list) = sqlx::query_as::<_, ListRow>(
        "SELECT state, approved_by, approve_micros, revision FROM obligation_lists WHERE org_id = $1 AND year = $2",
    )
    .bind(org_id)
    .bind(i64::from(year))
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let members = sqlx::query_as(
        "SELECT member_id, leader, position FROM obligations WHERE org_id = $1 AND year = $2 ORDER BY member_id",
    )
    .bind(org_id)
    .bind(i64::from(year))
    .fetch_all(conn)
    .await?;
    Ok(Some((list, members)))
}

/// Opens a draft list for `org_id` and `year` at `now`.
pub async fn open(conn: &mut AnyConnection, org_id: &str, year: i32, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO obligation_lists (org_id, year, state, approved_by, approve_micros, revision, create_micros) \
         VALUES ($1, $2, $3, NULL, NULL, 1, $4)",
    )
    .bind(org_id)
    .bind(i64::from(year))
    .bind(ObligationListState::Draft as i64)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Puts a member on the list.
pub async fn add(
    conn: &mut AnyConnection,
    org_id: &str,
    year: i32,
    member_id: &str,
    leader: bool,
    position: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO obligations (org_id, year, member_id, leader, position) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(org_id)
    .bind(i64::from(year))
    .bind(member_id)
    .bind(i64::from(leader))
    .bind(position)
    .execute(conn)
    .await?;
    Ok(())
}

/// Approves the list, by `who` at `now`.
pub async fn approve(
    conn: &mut AnyConnection,
    org_id: &str,
    year: i32,
    who: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE obligation_lists SET state = $1, approved_by = $2, approve_micros = $3, revision = revision + 1 \
         WHERE org_id = $4 AND year = $5",
    )
    .bind(ObligationListState::Approved as i64)
    .bind(who)
    .bind(now)
    .bind(org_id)
    .bind(i64::from(year))
    .execute(conn)
    .await?;
    Ok(())
}
