//! The eligible roster of a plan, taken from members: the scope's
//! organisation tree and its members on the reference date, exempt members
//! left out. Taken before the write transaction, stored inside it.
//!
//! Progress is computed from the stored copy, so it needs no call to
//! members and keeps working while members is down; RefreshPlanRoster takes
//! it again after late corrections of member records.

use std::collections::HashMap;

use probity_platform::{
    ApiError, Call,
    bulk::{IN_LIST_PARAMETERS, insert_rows, placeholders},
};
use probity_proto::probity::members::v1::StreamRosterResponse;
use sqlx::AnyConnection;
use time::Date;

use crate::{
    error::Result,
    members::{MembersPeer, OrgInfo},
};

/// One organisation of the scope's tree.
#[derive(Debug, Clone)]
pub struct TreeOrg {
    /// Its id.
    pub id: String,
    /// Its parent's id (none for the scope's root).
    pub parent_id: Option<String>,
    /// Ids from the scope's root down, `/root/…/id/`.
    pub path: String,
    /// Depth below the scope's root.
    pub depth: i64,
    /// Its name.
    pub display_name: String,
}

/// The roster and tree of a plan's scope on its reference date.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The tree, parents first.
    pub orgs: Vec<TreeOrg>,
    /// The eligible members.
    pub members: Vec<StreamRosterResponse>,
}

/// Takes the snapshot of `scope`'s subtree on `date` from members.
pub async fn take(
    peer: &MembersPeer,
    call: &Call,
    scope: &OrgInfo,
    date: Date,
) -> Result<Snapshot> {
    let name = format!("organizations/{}", scope.id);
    let below = peer.subtree(call, "plan.scope", &name, date).await?;
    let members = peer.roster(call, "plan.scope", &name, date, true).await?;
    let mut orgs = vec![TreeOrg {
        id: scope.id.clone(),
        parent_id: None,
        path: format!("/{}/", scope.id),
        depth: 0,
        display_name: scope.display_name.clone(),
    }];
    let mut index: HashMap<String, usize> = HashMap::from([(scope.id.clone(), 0)]);
    for org in below {
        let Some(parent) = org.parent_id.as_ref().and_then(|p| index.get(p)).copied() else {
            return Err(ApiError::Internal(format!(
                "members listed organizations/{} before its parent",
                org.id
            ))
            .into());
        };
        let path = format!("{}{}/", orgs[parent].path, org.id);
        let depth = orgs[parent].depth + 1;
        index.insert(org.id.clone(), orgs.len());
        orgs.push(TreeOrg {
            id: org.id,
            parent_id: org.parent_id,
            path,
            depth,
            display_name: org.display_name,
        });
    }
    Ok(Snapshot { orgs, members })
}

/// The tables a snapshot fills (for [`probity_platform::Database::refresh_statistics`]).
pub const TABLES: &[&str] = &["plan_orgs", "plan_roster"];

/// Replaces the stored snapshot of plan `plan_id`.
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
    // Stored in tree order: the members of one organisation's subtree (a
    // class's audience) then sit on a few neighbouring pages, so a class's
    // recount changes those instead of one page per member.
    let path: HashMap<&str, &str> = snapshot
        .orgs
        .iter()
        .map(|o| (o.id.as_str(), o.path.as_str()))
        .collect();
    let mut members: Vec<&StreamRosterResponse> = snapshot.members.iter().collect();
    members.sort_by_cached_key(|m| {
        let org = m.organization.trim_start_matches("organizations/");
        (path.get(org).copied().unwrap_or("~"), m.member.as_str())
    });
    insert_rows(
        conn,
        "INSERT INTO plan_roster (plan_id, member_id, org_id, full_name, card, attended_classes) VALUES {values}",
        6,
        &members,
        |q, m| {
            q.bind(plan_id)
                .bind(m.member.trim_start_matches("members/"))
                .bind(m.organization.trim_start_matches("organizations/"))
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
pub async fn recount(conn: &mut AnyConnection, plan_id: &str, who: Recount<'_>) -> Result<()> {
    const SET: &str = "UPDATE plan_roster SET attended_classes = (SELECT COUNT(*) FROM attendance x \
        JOIN classes c ON c.id = x.class_id WHERE x.member_id = plan_roster.member_id AND x.attended = 1 \
        AND c.plan_id = $1 AND c.excluded = 0 AND c.state <> 3) WHERE plan_id = $1";
    match who {
        Recount::All => {
            sqlx::query(SET).bind(plan_id).execute(&mut *conn).await?;
        }
        Recount::AttendeesOf(class_id) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SET} AND member_id IN (SELECT member_id FROM attendance WHERE class_id = $2)"
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
                    "{SET} AND member_id IN ({list})"
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
