//! Membership over time in storage: a member's periods (one organisation
//! and one status each, `valid_from <= d < valid_to`) and the events that
//! made them.

use probity_platform::{ApiError, resource::new_id};
use probity_proto::probity::members::v1::{MemberEventKind, MemberStatus};
use sqlx::AnyConnection;

use super::{members::status_list, organizations::in_force};
use crate::{
    error::{Error, Result},
    rules::{
        lifecycle::ACTIVE,
        names::{org_name, upper},
    },
};

/// A member's open period.
#[derive(Debug, Clone)]
pub struct Period {
    /// Organisation id.
    pub organization_id: String,
    /// Status during the period.
    pub status: MemberStatus,
    /// First day of the period.
    pub valid_from: String,
}

#[derive(sqlx::FromRow)]
struct PeriodRow {
    member_id: String,
    organization_id: String,
    status: i64,
    valid_from: String,
    valid_to: Option<String>,
}

impl PeriodRow {
    fn period(&self) -> Period {
        Period {
            organization_id: self.organization_id.clone(),
            status: MemberStatus::try_from(self.status as i32).unwrap_or(MemberStatus::Unspecified),
            valid_from: self.valid_from.clone(),
        }
    }
}

const PERIOD_COLUMNS: &str = "member_id, organization_id, status, valid_from, valid_to";

/// The member's current (open) period.
pub async fn open_period(conn: &mut AnyConnection, member_id: &str) -> Result<Period> {
    let row: Option<PeriodRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PERIOD_COLUMNS} FROM member_periods WHERE member_id = $1 AND valid_to IS NULL"
    )))
    .bind(member_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| r.period())
        .ok_or_else(|| ApiError::Internal(format!("member {member_id} has no open period")).into())
}

/// A dated change of organisation and/or status, as an event.
pub struct Change<'a> {
    /// The member's id.
    pub member_id: &'a str,
    /// The event.
    pub kind: MemberEventKind,
    /// Effective date (ISO).
    pub date: &'a str,
    /// The organisation after the change.
    pub to_org: &'a str,
    /// The status after the change.
    pub to_status: MemberStatus,
    /// Free text.
    pub note: &'a str,
}

/// Applies a change after the member's open period `current`: closes it on
/// the date (or rewrites it when it starts that same day), opens the new
/// one, records the event and updates the member's current fields.
pub async fn apply(
    conn: &mut AnyConnection,
    current: &Period,
    change: &Change<'_>,
    now: i64,
) -> Result<()> {
    if change.date < current.valid_from.as_str() {
        return Err(Error::OutOfOrder(format!(
            "members/{} has a change recorded on {}; events must be recorded in date order",
            change.member_id, current.valid_from
        )));
    }
    if change.date == current.valid_from {
        sqlx::query("UPDATE member_periods SET organization_id = $1, status = $2 WHERE member_id = $3 AND valid_from = $4")
            .bind(change.to_org)
            .bind(change.to_status as i64)
            .bind(change.member_id)
            .bind(change.date)
            .execute(&mut *conn)
            .await?;
    } else {
        sqlx::query(
            "UPDATE member_periods SET valid_to = $1 WHERE member_id = $2 AND valid_from = $3",
        )
        .bind(change.date)
        .bind(change.member_id)
        .bind(&current.valid_from)
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO member_periods (member_id, organization_id, status, valid_from, valid_to) VALUES ($1, $2, $3, $4, NULL)",
        )
        .bind(change.member_id)
        .bind(change.to_org)
        .bind(change.to_status as i64)
        .bind(change.date)
        .execute(&mut *conn)
        .await?;
    }
    record_event(
        conn,
        change,
        Some(&current.organization_id),
        current.status,
        now,
    )
    .await?;
    let official = (change.kind == MemberEventKind::MadeOfficial).then_some(change.date);
    sqlx::query(
        "UPDATE members SET organization_id = $1, status = $2, official_date = COALESCE($3, official_date), \
         revision = revision + 1, update_micros = $4 WHERE id = $5",
    )
    .bind(change.to_org)
    .bind(change.to_status as i64)
    .bind(official)
    .bind(now)
    .bind(change.member_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Appends an event to the member's history.
async fn record_event(
    conn: &mut AnyConnection,
    change: &Change<'_>,
    from_org: Option<&str>,
    from_status: MemberStatus,
    now: i64,
) -> Result<()> {
    let (last,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(seq) FROM member_events WHERE member_id = $1")
            .bind(change.member_id)
            .fetch_one(&mut *conn)
            .await?;
    sqlx::query(
        "INSERT INTO member_events (id, member_id, seq, kind, effective_date, from_org, to_org, from_status, \
         to_status, note, create_micros) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(new_id())
    .bind(change.member_id)
    .bind(last.unwrap_or(0) + 1)
    .bind(change.kind as i64)
    .bind(change.date)
    .bind(from_org)
    .bind(change.to_org)
    .bind(from_status as i64)
    .bind(change.to_status as i64)
    .bind(change.note)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Transfers every active member of `from_org` to `to_org` on `date` (for
/// merges). Refused when one of them has a change recorded after `date`.
pub async fn transfer_all(
    conn: &mut AnyConnection,
    from_org: &str,
    to_org: &str,
    date: &str,
    note: &str,
    now: i64,
) -> Result<()> {
    let rows: Vec<PeriodRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {PERIOD_COLUMNS} FROM member_periods \
         WHERE organization_id = $1 AND (valid_to IS NULL OR valid_to > $2) AND status IN ({})",
        status_list(&ACTIVE)
    )))
    .bind(from_org)
    .bind(date)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        if row.valid_to.is_some() || row.valid_from.as_str() > date {
            return Err(Error::OutOfOrder(format!(
                "members/{} of {} has a change recorded after {date}",
                row.member_id,
                org_name(from_org)
            )));
        }
        let current = row.period();
        let change = Change {
            member_id: &row.member_id,
            kind: MemberEventKind::Transferred,
            date,
            to_org,
            to_status: current.status,
            note,
        };
        apply(conn, &current, &change, now).await?;
    }
    Ok(())
}

/// Whether member `member_id` was active on `date`.
pub async fn active_on(conn: &mut AnyConnection, member_id: &str, date: &str) -> Result<bool> {
    let found = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT 1 FROM member_periods mp WHERE mp.member_id = $2 AND {} AND mp.status IN ({})",
        in_force("mp", 1),
        status_list(&ACTIVE)
    )))
    .bind(date)
    .bind(member_id)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// Whether member `member_id` was active on `date` in an organisation of
/// the subtree at path `prefix`.
pub async fn active_in_subtree(
    conn: &mut AnyConnection,
    member_id: &str,
    date: &str,
    prefix: &str,
) -> Result<bool> {
    let found = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT 1 FROM member_periods mp JOIN organization_placements p ON p.org_id = mp.organization_id AND {} \
         WHERE mp.member_id = $2 AND {} AND mp.status IN ({}) AND p.path >= $3 AND p.path < $4",
        in_force("p", 1),
        in_force("mp", 1),
        status_list(&ACTIVE)
    )))
    .bind(date)
    .bind(member_id)
    .bind(prefix)
    .bind(upper(prefix))
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}
