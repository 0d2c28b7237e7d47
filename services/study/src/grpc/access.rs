//! Who may see and change what: plans and classes looked up for a caller,
//! checked against the caller's scope on the organisations' lineages. Not
//! yours is answered like does not exist (`NOT_FOUND`) for reads; a write
//! outside the scope is `PERMISSION_DENIED`.

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

/// `NOT_FOUND` unless the caller may read `plan`: their scope covers the
/// plan's scope, or lies inside it (a cell reads the province's plan it
/// carries out).
pub async fn check_plan_read(
    conn: &mut AnyConnection,
    call: &Call,
    plan: &PlanRecord,
) -> Result<()> {
    if call.caller.covers(plan.lineage())
        || plans::tree_holds_any(conn, &plan.id, call.caller.scope_roots()).await?
    {
        return Ok(());
    }
    Err(ApiError::not_found(plan.name()).into())
}

/// Loads the plan named `name` (in request field `field`) that the caller
/// may read: `NOT_FOUND` otherwise.
pub async fn visible_plan(
    conn: &mut AnyConnection,
    call: &Call,
    field: &str,
    name: &str,
) -> Result<PlanRecord> {
    let id = parse_name(field, name, "plans")?;
    let plan = plans::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    check_plan_read(conn, call, &plan).await?;
    Ok(plan)
}

/// Loads the class named `name` (in request field `field`) that the caller
/// may read: `NOT_FOUND` otherwise.
pub async fn visible_class(
    conn: &mut AnyConnection,
    call: &Call,
    field: &str,
    name: &str,
) -> Result<ClassRecord> {
    let id = parse_name(field, name, "classes")?;
    let class = classes::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    call.caller.check_read(class.lineage(), name)?;
    Ok(class)
}

/// `PERMISSION_DENIED` unless the caller may write for the class's
/// organiser.
pub fn check_class_write(call: &Call, class: &ClassRecord) -> Result<()> {
    Ok(call.caller.check_write(class.lineage(), &class.name())?)
}

/// The checks of a change on a loaded class: scope (read, then write),
/// etag (when given), not cancelled.
pub fn check_change(call: &Call, class: &ClassHead, etag: &str) -> Result<()> {
    let name = &class.name();
    call.caller
        .check_read(lineage_ids(&class.org_lineage), name)?;
    call.caller
        .check_write(lineage_ids(&class.org_lineage), name)?;
    check_current_etag(name, etag, &etag_of(class.revision))?;
    check_not_cancelled(name, class.state)
}

/// Checks a change to the class named `name`, reading only its
/// [`ClassHead`].
pub async fn changeable(
    conn: &mut AnyConnection,
    call: &Call,
    name: &str,
    etag: &str,
) -> Result<ClassHead> {
    let id = parse_name("name", name, "classes")?;
    let class = classes::head(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    check_change(call, &class, etag)?;
    Ok(class)
}

/// Loads a class for a change, whole, with the checks of [`changeable`].
pub async fn for_change(
    conn: &mut AnyConnection,
    call: &Call,
    name: &str,
    etag: &str,
) -> Result<ClassRecord> {
    let id = parse_name("name", name, "classes")?;
    let class = classes::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    check_change(call, &class.head(), etag)?;
    Ok(class)
}
