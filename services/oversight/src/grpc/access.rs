//! Who may see and change a case: the case's jurisdiction organisation,
//! checked against what the caller's scope covers on today's tree
//! ([`ScopeView`], from members; never the lineage stored when the case was
//! recorded). Not yours is answered like does not exist (`NOT_FOUND`), for
//! reads and writes alike; the roles a method needs were checked by the
//! gateway (`crate::policy`).
//!
//! A handler takes the view (`Members::scope_view`) before it opens a
//! connection or a write transaction: no call to members while the write
//! lock is held.

use probity_platform::{ApiError, Call, resource::parse_name};
use sqlx::AnyConnection;

use crate::{
    error::Result,
    peers::ScopeView,
    store::cases::{self, CaseRow},
};

/// `NOT_FOUND` for `name` unless the caller's scope covers organisation
/// `org_id` today.
pub fn authorize_org(call: &Call, view: &ScopeView, org_id: &str, name: &str) -> Result<()> {
    Ok(call.authorize(view.lineage(org_id), name)?)
}

/// Loads the case named `name` (in request field `field`) whose
/// jurisdiction the caller's scope covers today: `NOT_FOUND` otherwise.
pub async fn visible_case(
    conn: &mut AnyConnection,
    call: &Call,
    view: &ScopeView,
    field: &str,
    name: &str,
) -> Result<CaseRow> {
    let id = parse_name(field, name, "cases")?;
    let row = cases::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    authorize_org(call, view, &row.jurisdiction_id, name)?;
    Ok(row)
}
