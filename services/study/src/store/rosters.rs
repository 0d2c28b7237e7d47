//! A plan's eligible roster in storage: the scope's tree (`plan_orgs`) and
//! its members (`plan_roster`), each member with the kept count of counted
//! classes attended, recounted by every write that can change it.
//!
//! Progress is computed from the stored copy, so it needs no call to
//! members and keeps working while members is down; RefreshPlanRoster takes
//! it again after late corrections of member records.

use probity_platform::bulk::{IN_LIST_PARAMETERS, insert_rows, placeholders};
use probity_proto::probity::study::v1::ClassState;
use sqlx::AnyConnection;

use crate::{
    error::Result,
    rules::rosters::{Snapshot, in_tree_order},
};

/// The tables a snapshot fills (for the statistics refresh).
pub const TABLES: &[&str] = &["plan_orgs", "plan_roster"];

/// Replaces the stored snapshot of plan `plan_id`, and counts each
/// member's attended classes.
pub async fn store(conn: &mut AnyConnection, plan_id: &str, snapshot: &Snapshot) -> Result<()> {
    for table in ["plan_roster", "plan_orgs"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE plan_id = $1"
        )))
        .bind(plan_id)
        .execute(&mut *conn)
        .await?;
    }
    insert_rows(
        conn,
        "INSERT INTO plan_orgs (plan_id, org_id, parent_id, path, depth, display_name) VALUES {values}",
        6,
        &snapshot.orgs,
        |q, o| {
            q.bind(plan_id)
                .bind(&o.id)
                .bind(&o.parent_id)
                .bind(&o.path)
                .bind(o.depth)
                .bind(&o.display_name)
        },
    )
    .await?;
    insert_rows(
        conn,
        "INSERT INTO plan_roster (plan_id, member_id, org_id, full_name, card, attended_classes) VALUES {values}",
        6,
        &in_tree_order(snapshot),
        |q, m| {
            q.bind(plan_id)
                .bind(&m.member_id)
                .bind(&m.org_id)
                .bind(&m.full_name)
                .bind(&m.party_card_number)
                .bind(0_i64)
        },
    )
    .await?;
    recount(conn, plan_id, Recount::All).await
}

/// Whose counts of attended classes to recompute.
pub enum Recount<'a> {
    /// Every member of the roster.
    All,
    /// These member ids.
    Members(&'a [String]),
    /// Those with attendance at this class id.
    AttendeesOf(&'a str),
}

/// Recomputes `plan_roster.attended_classes` (counted classes attended)
/// for some members of plan `plan_id`, from the attendance itself. Every
/// write that can change the count calls it in its transaction.
///
/// On PostgreSQL the rows are first locked, in member order, by a statement
/// of their own: an UPDATE that waits for another transaction's lock on a
/// row re-reads the row but counts with the snapshot it started with, so
/// two writes recounting one member concurrently (an absence at a class
/// and a presence at its make-up) could leave a count that misses the
/// first one's attendance. Counted by a statement begun after the lock is
/// held, every attendance committed before is seen. (SQLite has one
/// writer at a time.)
pub async fn recount(conn: &mut AnyConnection, plan_id: &str, who: Recount<'_>) -> Result<()> {
    if conn.backend_name() != "SQLite" {
        lock_rows(conn, plan_id, &who).await?;
    }
    let set = format!(
        "UPDATE plan_roster SET attended_classes = (SELECT COUNT(*) FROM attendance x \
         JOIN classes c ON c.id = x.class_id WHERE x.member_id = plan_roster.member_id AND x.attended = 1 \
         AND c.plan_id = $1 AND c.excluded = 0 AND c.state <> {}) WHERE plan_id = $1",
        ClassState::Cancelled as i32
    );
    match who {
        Recount::All => {
            sqlx::query(sqlx::AssertSqlSafe(set))
                .bind(plan_id)
                .execute(&mut *conn)
                .await?;
        }
        Recount::AttendeesOf(class_id) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{set} AND member_id IN (SELECT member_id FROM attendance WHERE class_id = $2)"
            )))
            .bind(plan_id)
            .bind(class_id)
            .execute(&mut *conn)
            .await?;
        }
        Recount::Members(ids) => {
            for chunk in ids.chunks(IN_LIST_PARAMETERS) {
                let list = placeholders(2, chunk.len());
                let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{set} AND member_id IN ({list})"
                )))
                .bind(plan_id);
                for id in chunk {
                    q = q.bind(id);
                }
                q.execute(&mut *conn).await?;
            }
        }
    }
    Ok(())
}

/// Locks the roster rows a recount of `who` will update, in member order.
async fn lock_rows(conn: &mut AnyConnection, plan_id: &str, who: &Recount<'_>) -> Result<()> {
    const LOCK: &str = "SELECT member_id FROM plan_roster WHERE plan_id = $1";
    const ORDER: &str = "ORDER BY member_id FOR UPDATE";
    match who {
        Recount::All => {
            sqlx::query(sqlx::AssertSqlSafe(format!("{LOCK} {ORDER}")))
                .bind(plan_id)
                .execute(&mut *conn)
                .await?;
        }
        Recount::AttendeesOf(class_id) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{LOCK} AND member_id IN (SELECT member_id FROM attendance WHERE class_id = $2) {ORDER}"
            )))
            .bind(plan_id)
            .bind(*class_id)
            .execute(&mut *conn)
            .await?;
        }
        Recount::Members(ids) => {
            for chunk in ids.chunks(IN_LIST_PARAMETERS) {
                let list = placeholders(2, chunk.len());
                let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{LOCK} AND member_id IN ({list}) {ORDER}"
                )))
                .bind(plan_id);
                for id in chunk {
                    q = q.bind(id);
                }
                q.execute(&mut *conn).await?;
            }
        }
    }
    Ok(())
}
