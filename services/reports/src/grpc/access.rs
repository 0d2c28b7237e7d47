//! Who may see a report: its organisation, checked against what the
//! caller's scope covers on today's tree ([`ScopeView`], from members).
//! Not yours is answered like does not exist (`NOT_FOUND`).

use probity_platform::{ApiError, Call, resource::parse_name};
use sqlx::AnyConnection;

use crate::{
    error::Result,
    peers::ScopeView,
    store::reports::{self, ReportRow},
};

/// Loads the report named `name` whose organisation the caller's scope
/// covers today: `NOT_FOUND` otherwise.
pub async fn visible_report(
    conn: &mut AnyConnection,
    call: &Call,
    view: &ScopeView,
    name: &str,
) -> Result<ReportRow> {
    let id = parse_name("name", name, "reports")?;
    let row = reports::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    call.authorize(view.lineage(&row.organization_id), name)?;
    Ok(row)
}
