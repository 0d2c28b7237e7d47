//! Membership over time in storage: a member's periods (one organisation
//! and one status each, `valid_from <= d < valid_to`), the events that made
//! them, and the roster of a subtree on a date.

use probity_platform::{ApiError, dates, resource::new_id};
use probity_proto::probity::members::v1::{MemberEventKind, MemberStatus};
use sqlx::{AnyConnection, Row};

use crate::{
    error::{Error, Result},
    lifecycle::ACTIVE,
    tree::org_name,
};

/// The statuses as a SQL list of integers, e.g. `1,2,3`. Built only from
/// enum values, so it is safe to splice into SQL.
pub fn status_list(statuses: &[MemberStatus]) -> String {
    statuses
        .iter()
        .map(|s| (*s as i32).to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The active statuses as a SQL list.
pub fn active_list() -> String {
    status_list(&ACTIVE)
}

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

/// The member's current (open) period.
pub async fn open_period(conn: &mut AnyConnection, member_id: &str) -> Result<Period> {
    let row = sqlx::query(
        "SELECT organization_id, status, valid_from FROM member_periods WHERE member_id = $1 AND valid_to IS NULL",
    )
    .bind(member_id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| ApiError::Internal(format!("member {member_id} has no open period")))?;
    let status: i64 = row.try_get("status")?;
    Ok(Period {
        organization_id: row.try_get("organization_id")?,
        status: MemberStatus::try_from(status as i32).unwrap_or(MemberStatus::Unspecified),
        valid_from: row.try_get("valid_from")?,
    })
}

/// Opens the first period of a new member.
pub async fn open_first(
    conn: &mut AnyConnection,
    member_id: &str,
    org_id: &str,
    status: MemberStatus,
    date: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO member_periods (member_id, organization_id, status, valid_from, valid_to) VALUES ($1, $2, $3, $4, NULL)",
    )
    .bind(member_id)
    .bind(org_id)
    .bind(status as i64)
    .bind(date)
    .execute(conn)
    .await?;
    Ok(())
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
pub async fn apply(conn: &mut AnyConnection, current: &Period, change: &Change<'_>) -> Result<()> {
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
        open_first(
            conn,
            change.member_id,
            change.to_org,
            change.to_status,
            change.date,
        )
        .await?;
    }
    record_event(conn, change, Some(&current.organization_id), current.status).await?;
    let official = if change.kind == MemberEventKind::MadeOfficial {
        Some(change.date)
    } else {
        None
    };
    sqlx::query(
        "UPDATE members SET organization_id = $1, status = $2, official_date = COALESCE($3, official_date), \
         revision = revision + 1, update_micros = $4 WHERE id = $5",
    )
    .bind(change.to_org)
    .bind(change.to_status as i64)
    .bind(official)
    .bind(dates::now_micros())
    .bind(change.member_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Appends an event to the member's history.
pub async fn record_event(
    conn: &mut AnyConnection,
    change: &Change<'_>,
    from_org: Option<&str>,
    from_status: MemberStatus,
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
    .bind(dates::now_micros())
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
) -> Result<()> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT member_id, status, valid_from, valid_to FROM member_periods \
         WHERE organization_id = $1 AND (valid_to IS NULL OR valid_to > $2) AND status IN ({})",
        active_list()
    )))
    .bind(from_org)
    .bind(date)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let member_id: String = row.try_get("member_id")?;
        let valid_to: Option<String> = row.try_get("valid_to")?;
        let valid_from: String = row.try_get("valid_from")?;
        if valid_to.is_some() || valid_from.as_str() > date {
            return Err(Error::OutOfOrder(format!(
                "members/{member_id} of {} has a change recorded after {date}",
                org_name(from_org)
            )));
        }
        let status: i64 = row.try_get("status")?;
        let status = MemberStatus::try_from(status as i32).unwrap_or(MemberStatus::Unspecified);
        let current = Period {
            organization_id: from_org.to_string(),
            status,
            valid_from,
        };
        let change = Change {
            member_id: &member_id,
            kind: MemberEventKind::Transferred,
            date,
            to_org,
            to_status: status,
            note,
        };
        apply(conn, &current, &change).await?;
    }
    Ok(())
}
