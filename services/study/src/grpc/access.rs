//! Who may see and change what: plans and classes looked up for a caller,
//! checked against what the caller's scope covers on today's tree
//! ([`ScopeView`], from members; never the lineage stored when the record
//! was made). Not yours is answered like does not exist (`NOT_FOUND`), for
//! reads and writes alike; the roles a method needs were checked by the
//! gateway (`crate::policy`).
//!
//! A handler takes the view (`Members::scope_view`) before it opens a
//! connection or a write transaction: no call to members while the write
//! lock is held.

use probity_platform::{
    ApiError, Call,
    resource::{check_current_etag, etag as etag_of, parse_name},
};
use sqlx::AnyConnection;

use crate::{
    error::Result,
    rules::{class_lifecycle::check_not_cancelled, names::lineage_ids},
    store::{
        classes::{self, ClassHead, ClassRecord},
        plans::{self, PlanRecord},
    },
};
use probity_members_client::ScopeView;

/// The organisation a stored lineage (`/root/…/id/`) ends with.
pub fn owner_of(lineage: &str) -> &str {
    lineage_ids(lineage).last().unwrap_or_default()
}

/// `NOT_FOUND` for `name` unless the caller's scope covers organisation
/// `org_id` today.
pub fn authorize_org(call: &Call, view: &ScopeView, org_id: &str, name: &str) -> Result<()> {
    Ok(call.authorize(view.lineage(org_id), name)?)
}

/// `NOT_FOUND` unless the caller may read `plan`: their scope covers the
/// plan's scope organisation today, or lies inside it (a cell reads the
/// province's plan it carries out).
pub fn check_plan_read(call: &Call, view: &ScopeView, plan: &PlanRecord) -> Result<()> {
    if !view.covers(&plan.scope_id) && view.reaches(&plan.scope_id) {
        call.scoped();
        return Ok(());
    }
    authorize_org(call, view, &plan.scope_id, &plan.name())
}

/// `PERMISSION_DENIED` unless the caller's scope covers the scope of a
/// plan it may read (a cell may read its province's plan, not change it).
pub fn check_plan_change(call: &Call, view: &ScopeView, plan: &PlanRecord) -> Result<()> {
    check_plan_read(call, view, plan)?;
    Ok(call.authorize_change(view.lineage(&plan.scope_id), &plan.name())?)
}

/// Loads the plan named `name` (in request field `field`) that the caller
/// may read: `NOT_FOUND` otherwise.
pub async fn visible_plan(
    conn: &mut AnyConnection,
    call: &Call,
    view: &ScopeView,
    field: &str,
    name: &str,
) -> Result<PlanRecord> {
    let id = parse_name(field, name, "plans")?;
    let plan = plans::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    check_plan_read(call, view, &plan)?;
    Ok(plan)
}

/// Loads the class named `name` (in request field `field`) whose organiser
/// the caller's scope covers today: `NOT_FOUND` otherwise. The same check
/// serves reads and changes.
pub async fn visible_class(
    conn: &mut AnyConnection,
    call: &Call,
    view: &ScopeView,
    field: &str,
    name: &str,
) -> Result<ClassRecord> {
    let id = parse_name(field, name, "classes")?;
    let class = classes::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    authorize_org(call, view, &class.org_id, name)?;
    Ok(class)
}

/// The checks of a change on a loaded class: scope, etag (when given), not
/// cancelled.
pub fn check_change(call: &Call, view: &ScopeView, class: &ClassHead, etag: &str) -> Result<()> {
    let name = &class.name();
    authorize_org(call, view, owner_of(&class.org_lineage), name)?;
    check_current_etag(name, etag, &etag_of(class.revision))?;
    check_not_cancelled(name, class.state)
}

/// Checks a change to the class named `name`, reading only its
/// [`ClassHead`].
pub async fn changeable(
    conn: &mut AnyConnection,
    call: &Call,
    view: &ScopeView,
    name: &str,
    etag: &str,
) -> Result<ClassHead> {
    let id = parse_name("name", name, "classes")?;
    let class = classes::head(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    check_change(call, view, &class, etag)?;
    Ok(class)
}

/// Loads a class for a change, whole, with the checks of [`changeable`].
pub async fn for_change(
    conn: &mut AnyConnection,
    call: &Call,
    view: &ScopeView,
    name: &str,
    etag: &str,
) -> Result<ClassRecord> {
    let id = parse_name("name", name, "classes")?;
    let class = classes::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    check_change(call, view, &class.head(), etag)?;
    Ok(class)
}
