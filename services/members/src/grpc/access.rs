//! Who may see and change what: organisations and members looked up for a
//! caller, checked against the caller's scope on the organisation's
//! current lineage ([`Call::authorize`]). Not yours is answered like does
//! not exist (`NOT_FOUND`), for reads and writes alike; the roles a method
//! needs were checked by the gateway (`crate::policy`).

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
    call.authorize(org.lineage(), name)?;
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

/// An organisation the caller changes (or changes records under): the
/// same check as [`visible`], under the name that says what the handler
/// does. The writer role was checked by the gateway.
pub async fn writable(
    conn: &mut AnyConnection,
    call: &Call,
    field: &str,
    name: &str,
) -> Result<OrgRow> {
    visible(conn, call, field, name).await
}

/// The checks of [`writable`] on an organisation `name` already loaded in
/// its latest state (`None`: there is none).
pub fn check_writable(call: &Call, name: &str, latest: Option<&OrgRow>) -> Result<()> {
    let org = latest.ok_or_else(|| ApiError::not_found(name))?;
    call.authorize(org.lineage(), name)?;
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

/// A member the caller changes: the same check as [`visible_member`]
/// (the writer role was checked by the gateway).
pub async fn writable_member(
    conn: &mut AnyConnection,
    call: &Call,
    field: &str,
    name: &str,
) -> Result<Visible> {
    visible_member(conn, call, field, name).await
}
