//! Attendance in storage: members' statuses per class (recorded, or given
//! by default at closing) and the non-members, kept apart.

use std::collections::HashSet;

use probity_platform::bulk::insert_rows;
use sqlx::AnyConnection;

use crate::{
    error::Result,
    rules::{attendance::Checked, attendance::NonMember},
};
use probity_members_client::RosterEntry;

/// A member's attendance at a class.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecordRow {
    /// The member's id.
    pub member_id: String,
    /// The status's code.
    pub status: String,
    /// 1 when the status counts as attended.
    pub attended: i64,
    /// Remark.
    pub remark: String,
    /// The member's organisation on the class date.
    pub org_id: String,
    /// 1 when given by default at closing.
    pub defaulted: i64,
    /// Last set (µs).
    pub update_micros: i64,
}

const RECORD_COLUMNS: &str =
    "member_id, status, attended, remark, org_id, defaulted, update_micros";

/// Stores `rows` for class `class_id` at `now`: a new status wins over an
/// earlier one.
pub async fn upsert(
    conn: &mut AnyConnection,
    class_id: &str,
    rows: &[Checked],
    now: i64,
) -> Result<()> {
    insert_rows(
        conn,
        "INSERT INTO attendance (class_id, member_id, status, attended, remark, org_id, defaulted, update_micros) \
         VALUES {values} ON CONFLICT (class_id, member_id) DO UPDATE SET status = excluded.status, \
         attended = excluded.attended, remark = excluded.remark, org_id = excluded.org_id, defaulted = 0, \
         update_micros = excluded.update_micros",
        8,
        rows,
        |q, r| {
            q.bind(class_id)
                .bind(&r.member_id)
                .bind(&r.status)
                .bind(i64::from(r.attended))
                .bind(&r.remark)
                .bind(&r.org_id)
                .bind(0_i64)
                .bind(now)
        },
    )
    .await?;
    Ok(())
}

/// Gives the `expected` members not yet marked the `status` (its code and
/// whether it counts as attended), as defaults, at `now`.
pub async fn give_defaults(
    conn: &mut AnyConnection,
    class_id: &str,
    expected: &[RosterEntry],
    (status, attended): (&str, bool),
    now: i64,
) -> Result<()> {
    insert_rows(
        conn,
        "INSERT INTO attendance (class_id, member_id, status, attended, remark, org_id, defaulted, \
         update_micros) VALUES {values} ON CONFLICT (class_id, member_id) DO NOTHING",
        8,
        expected,
        |q, m| {
            q.bind(class_id)
                .bind(&m.member_id)
                .bind(status)
                .bind(i64::from(attended))
                .bind("")
                .bind(&m.org_id)
                .bind(1_i64)
                .bind(now)
        },
    )
    .await?;
    Ok(())
}

/// The attendance of `member_id` at `class_id`.
pub async fn record(
    conn: &mut AnyConnection,
    class_id: &str,
    member_id: &str,
) -> Result<Option<RecordRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {RECORD_COLUMNS} FROM attendance WHERE class_id = $1 AND member_id = $2"
    )))
    .bind(class_id)
    .bind(member_id)
    .fetch_optional(conn)
    .await?)
}

/// The members recorded at `class_id` with a status that does not count
/// as attended.
pub async fn missed(conn: &mut AnyConnection, class_id: &str) -> Result<HashSet<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT member_id FROM attendance WHERE class_id = $1 AND attended = 0")
            .bind(class_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(m,)| m).collect())
}

/// One page of a class's attendance, optionally of one status, after
/// member id `after`.
pub async fn list(
    conn: &mut AnyConnection,
    class_id: &str,
    status: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<RecordRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {RECORD_COLUMNS} FROM attendance WHERE class_id = $1 AND ($2 = '' OR status = $2) \
         AND member_id > $3 ORDER BY member_id LIMIT $4"
    )))
    .bind(class_id)
    .bind(status)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Replaces a class's named non-members and sets its head count, with a
/// new revision.
pub async fn set_non_members(
    conn: &mut AnyConnection,
    class_id: &str,
    head_count: i32,
    attendees: &[NonMember],
    now: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM non_members WHERE class_id = $1")
        .bind(class_id)
        .execute(&mut *conn)
        .await?;
    let positioned: Vec<(i64, &NonMember)> = (0_i64..).zip(attendees.iter()).collect();
    insert_rows(
        conn,
        "INSERT INTO non_members (class_id, position, full_name, identity_number, note) VALUES {values}",
        5,
        &positioned,
        |q, (position, (name, id, note))| {
            q.bind(class_id)
                .bind(*position)
                .bind(name)
                .bind(id)
                .bind(note)
        },
    )
    .await?;
    sqlx::query(
        "UPDATE classes SET head_count = $1, revision = revision + 1, update_micros = $2 WHERE id = $3",
    )
    .bind(i64::from(head_count))
    .bind(now)
    .bind(class_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// One page of a class's named non-members after position `after`:
/// `(position, name, identity number, note)`.
pub async fn non_members(
    conn: &mut AnyConnection,
    class_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, String, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT position, full_name, identity_number, note FROM non_members WHERE class_id = $1 AND position > $2 \
         ORDER BY position LIMIT $3",
    )
    .bind(class_id)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
