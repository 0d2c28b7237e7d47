//! Who may see and change what: organisations and members looked up for a
//! caller, checked against the caller's scope on the organisation's
//! current lineage. Not yours is answered like does not exist (`NOT_FOUND`)
//! for reads; a write outside the scope is `PERMISSION_DENIED`.

use probity_platform::{ApiError, Call, resource::parse_name};
use sqlx::AnyConnection;

use crate::{
    error::Result,
    rules::years::reference_date,
    store::{
        members::{self, MemberRow},
        organizations::{self, OrgRow},
    },
};

/// Reads an organisation's latest state and checks the caller may read it.
pub async fn visible(
    conn: &mut AnyConnection,
    call: &Call,
    field: &str,
    name: &str,
) -> Result<OrgRow> {
    let id = parse_name(field, name, "organizations")?;
    let org = organizations::latest(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    call.caller.check_read(org.lineage(), name)?;
    Ok(org)
}

/// The root of a subtree query on `date`: checks the caller may read
/// `name`, then returns its placement on that date — `None` when it did not
/// exist then, so the query has no rows.
pub async fn subtree_on(
    conn: &mut AnyConnection,
    call: &Call,
    field: &str,
    name: &str,
    date: &str,
) -> Result<Option<OrgRow>> {
    let org = visible(conn, call, field, name).await?;
    organizations::on_date(conn, &org.id, date).await
}

/// The subtree a yearly register or statistic reads: `name` on the year's
/// reference date (its last day, or today while it lasts), checked for the
/// caller, with that date; `None` when the organisation did not exist then.
pub async fn year_subtree(
    conn: &mut AnyConnection,
    call: &Call,
    field: &str,
    name: &str,
    year: i32,
) -> Result<Option<(String, OrgRow)>> {
    let date = reference_date(year, call.today());
    Ok(subtree_on(conn, call, field, name, &date)
        .await?
        .map(|root| (date, root)))
}

/// Like [`visible`], and checks the caller may write under it.
pub async fn writable(
    conn: &mut AnyConnection,
    call: &Call,
    field: &str,
    name: &str,
) -> Result<OrgRow> {
    let org = visible(conn, call, field, name).await?;
    call.caller.check_write(org.lineage(), name)?;
    Ok(org)
}

/// The checks of [`writable`] on an organisation `name` already loaded in
/// its latest state (`None`: there is none).
pub fn check_writable(call: &Call, name: &str, latest: Option<&OrgRow>) -> Result<()> {
    let org = latest.ok_or_else(|| ApiError::not_found(name))?;
    call.caller.check_read(org.lineage(), name)?;
    call.caller.check_write(org.lineage(), name)?;
    Ok(())
}

/// A member the caller may see, with its current organisation.
pub struct Visible {
    /// The member.
    pub member: MemberRow,
    /// Its current organisation.
    pub org: OrgRow,
}

/// Loads a member the caller may see (its current organisation is in
/// scope); `NOT_FOUND` otherwise.
pub async fn visible_member(
    conn: &mut AnyConnection,
    call: &Call,
    field: &str,
    name: &str,
) -> Result<Visible> {
    let id = parse_name(field, name, "members")?;
    let member = members::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    let org = visible(
        conn,
        call,
        field,
        &crate::rules::names::org_name(&member.organization_id),
    )
    .await
    .map_err(|e| e.not_found_as(name))?;
    Ok(Visible { member, org })
}

/// Like [`visible_member`], and checks the caller may change the member.
pub async fn writable_member(
    conn: &mut AnyConnection,
    call: &Call,
    field: &str,
    name: &str,
) -> Result<Visible> {
    let found = visible_member(conn, call, field, name).await?;
    call.caller.check_write(found.org.lineage(), name)?;
    Ok(found)
}
