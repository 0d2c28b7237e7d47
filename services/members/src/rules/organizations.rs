//! The rules of the organisation tree: what a code and a name may be, which
//! level may sit under which, and when a move or a merge is allowed.

use probity_platform::{
    ApiError, Violations,
    auth::{Caller, Role},
    dates,
    resource::parse_name,
};
use probity_proto::probity::members::v1::{Organization, OrganizationKind};
use time::Date;

use crate::error::{Error, Result};

/// Longest organisation code.
pub const MAX_CODE: usize = probity_platform::limits::CODE;
/// Longest display name.
pub const MAX_DISPLAY_NAME: usize = probity_platform::limits::LABEL;

/// Checks an organisation code: 1 to 64 letters, digits and `- _ . /`.
pub fn validate_code(v: &mut Violations, field: &str, code: &str) {
    if code.is_empty() {
        v.add(field, "required");
    } else if code.len() > MAX_CODE
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        v.add(
            field,
            format!("at most {MAX_CODE} characters: letters, digits, - _ . /"),
        );
    }
}

/// Checks a display name: present, at most 300 characters.
pub fn validate_display_name(v: &mut Violations, field: &str, name: &str) {
    v.check_name_chars(field, name);
    if name.trim().is_empty() {
        v.add(field, "required");
    } else if name.chars().count() > MAX_DISPLAY_NAME {
        v.add(field, format!("at most {MAX_DISPLAY_NAME} characters"));
    }
}

/// A new organisation, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrganization {
    /// Its code.
    pub code: String,
    /// Its name, tidied.
    pub display_name: String,
    /// Its level.
    pub kind: OrganizationKind,
    /// The day it is established.
    pub valid_from: Date,
    /// Its parent, `organizations/{id}`; `None` for a root.
    pub parent: Option<String>,
}

/// Checks the organisation of a CreateOrganization request.
pub fn validate_new(org: &Organization) -> Result<NewOrganization> {
    let mut v = Violations::new();
    validate_code(&mut v, "organization.code", &org.code);
    validate_display_name(&mut v, "organization.display_name", &org.display_name);
    let kind = OrganizationKind::try_from(org.kind).unwrap_or(OrganizationKind::Unspecified);
    v.check(
        kind == OrganizationKind::Unspecified,
        "organization.kind",
        "required",
    );
    let valid_from = dates::required("organization.valid_from", org.valid_from.as_ref())
        .map_err(|e| v.add(e.field, e.description))
        .ok();
    if !org.parent.is_empty()
        && parse_name("organization.parent", &org.parent, "organizations").is_err()
    {
        v.add("organization.parent", "must be organizations/{id}");
    }
    v.into_result()?;
    Ok(NewOrganization {
        code: org.code.clone(),
        display_name: probity_platform::text::tidy(&org.display_name),
        kind,
        valid_from: valid_from.unwrap_or(Date::MIN),
        parent: (!org.parent.is_empty()).then(|| org.parent.clone()),
    })
}

/// Checks the fields an UpdateOrganization request changes.
pub fn validate_update(org: &Organization, paths: &[&str]) -> Result<()> {
    let mut v = Violations::new();
    if paths.contains(&"code") {
        validate_code(&mut v, "organization.code", &org.code);
    }
    if paths.contains(&"display_name") {
        validate_display_name(&mut v, "organization.display_name", &org.display_name);
    }
    Ok(v.into_result()?)
}

/// Checks the sources of a merge: at least one, none the target, none
/// listed twice.
pub fn validate_merge_sources(sources: &[String], target: &str) -> Result<()> {
    let mut v = Violations::new();
    v.check(
        sources.is_empty(),
        "sources",
        "at least one organisation to merge",
    );
    let mut seen = std::collections::HashSet::new();
    for (i, s) in sources.iter().enumerate() {
        if s == target {
            v.add(format!("sources[{i}]"), "is the target itself");
        } else if !seen.insert(s) {
            v.add(format!("sources[{i}]"), "listed twice");
        }
    }
    Ok(v.into_result()?)
}

/// The rank of a level: a child's rank must be greater than its parent's.
pub fn rank(kind: OrganizationKind) -> u8 {
    match kind {
        OrganizationKind::Unspecified => 0,
        OrganizationKind::Province => 1,
        OrganizationKind::District | OrganizationKind::DirectCommittee => 2,
        OrganizationKind::Grassroots => 3,
        OrganizationKind::Partial => 4,
        OrganizationKind::Cell => 5,
    }
}

/// Refuses a `kind` organisation under a `parent` one unless it is of a
/// lower level (nothing goes under a cell).
pub fn check_parent(kind: OrganizationKind, parent: OrganizationKind) -> Result<()> {
    if rank(kind) <= rank(parent) || parent == OrganizationKind::Cell {
        return Err(Error::BadPlacement(format!(
            "a {kind:?} organisation cannot be placed under a {parent:?} one"
        )));
    }
    Ok(())
}

/// An organisation in one placement, as the tree rules see it.
#[derive(Debug, Clone, Copy)]
pub struct Placed<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its level.
    pub kind: OrganizationKind,
    /// Its path in this placement, `/root/…/id/`.
    pub path: &'a str,
    /// Its parent in this placement.
    pub parent_id: Option<&'a str>,
    /// The first day of this placement.
    pub placed_from: &'a str,
    /// The day the organisation was dissolved or merged, if it was.
    pub valid_to: Option<&'a str>,
}

impl Placed<'_> {
    fn name(&self) -> String {
        super::names::org_name(self.id)
    }
}

/// Checks a move of `org` under `parent`: not under itself, under a higher
/// level, not where it already is.
pub fn check_move(org: &Placed<'_>, parent: &Placed<'_>) -> Result<()> {
    if parent.path.starts_with(org.path) {
        return Err(Error::BadPlacement(format!(
            "{} lies inside {}; an organisation cannot move under itself",
            parent.name(),
            org.name()
        )));
    }
    if rank(org.kind) <= rank(parent.kind) {
        return Err(Error::BadPlacement(format!(
            "a {:?} organisation cannot be placed under a {:?} one",
            org.kind, parent.kind
        )));
    }
    if org.parent_id == Some(parent.id) {
        return Err(Error::BadPlacement(format!(
            "{} is already under {}",
            org.name(),
            parent.name()
        )));
    }
    Ok(())
}

/// Checks that `source` may merge into `target` on `date`: same level, the
/// target not inside the source, nothing recorded for the source after the
/// date.
pub fn check_merge(source: &Placed<'_>, target: &Placed<'_>, date: &str) -> Result<()> {
    if source.kind != target.kind {
        return Err(Error::BadPlacement(format!(
            "{} is a {:?} organisation and {} a {:?} one; only organisations of one level merge",
            source.name(),
            source.kind,
            target.name(),
            target.kind
        )));
    }
    if target.path.starts_with(source.path) {
        return Err(Error::BadPlacement(format!(
            "{} lies inside {}",
            target.name(),
            source.name()
        )));
    }
    if source.valid_to.is_some() || source.placed_from > date {
        return Err(Error::OutOfOrder(format!(
            "{} has a later change recorded",
            source.name()
        )));
    }
    Ok(())
}

/// Checks that a placement of the subtree being moved may be re-rooted on
/// `date`: it started on or before the date and has not ended.
pub fn check_relocatable(org_id: &str, valid_from: &str, ended: bool, date: &str) -> Result<()> {
    if valid_from > date || ended {
        return Err(Error::OutOfOrder(format!(
            "{} has a placement change on or after {date}; record changes in date order",
            super::names::org_name(org_id)
        )));
    }
    Ok(())
}

/// A root organisation (one without a parent) is the top of a tree every
/// scope lies in: only an admin whose scope is the whole tree creates one.
/// An admin scoped to a subtree is refused like any other caller.
pub fn check_may_create_root(caller: &Caller) -> Result<()> {
    if caller.holds(Role::Admin) && caller.sees_everything() {
        Ok(())
    } else {
        Err(ApiError::MissingRole(
            "a root organisation needs an admin whose scope is the whole tree; give organization.parent".into(),
        )
        .into())
    }
}

#[cfg(test)]
mod tests {
    use OrganizationKind::*;

    use super::*;

    fn placed<'a>(id: &'a str, kind: OrganizationKind, path: &'a str) -> Placed<'a> {
        Placed {
            id,
            kind,
            path,
            parent_id: None,
            placed_from: "2000-01-01",
            valid_to: None,
        }
    }

    #[test]
    fn a_child_sits_below_its_parent() {
        assert!(check_parent(District, Province).is_ok());
        assert!(check_parent(Cell, Grassroots).is_ok());
        assert!(check_parent(Province, District).is_err());
        assert!(
            check_parent(District, DirectCommittee).is_err(),
            "same level"
        );
        assert!(check_parent(Cell, Cell).is_err(), "nothing under a cell");
    }

    #[test]
    fn codes_are_short_and_plain() {
        let mut v = Violations::new();
        validate_code(&mut v, "c", "HU-01/2.x");
        assert!(v.is_empty());
        validate_code(&mut v, "c", "có dấu");
        validate_code(&mut v, "c", "");
        validate_code(&mut v, "c", &"x".repeat(65));
        assert!(v.into_result().is_err());
    }

    #[test]
    fn an_organisation_cannot_move_under_itself() {
        let org = placed("a", District, "/p/a/");
        let inside = placed("b", Grassroots, "/p/a/b/");
        let err = check_move(&org, &inside).unwrap_err();
        assert!(err.to_string().contains("cannot move under itself"));
    }

    #[test]
    fn a_move_goes_under_a_higher_level_elsewhere() {
        let org = Placed {
            parent_id: Some("p"),
            ..placed("a", Grassroots, "/p/a/")
        };
        assert!(check_move(&org, &placed("q", District, "/q/")).is_ok());
        assert!(check_move(&org, &placed("c", Cell, "/q/c/")).is_err());
        let err = check_move(&org, &placed("p", District, "/p/")).unwrap_err();
        assert!(err.to_string().contains("already under"));
    }

    #[test]
    fn only_organisations_of_one_level_merge() {
        let target = placed("t", District, "/p/t/");
        assert!(check_merge(&placed("s", District, "/p/s/"), &target, "2025-07-01").is_ok());
        assert!(check_merge(&placed("s", Grassroots, "/p/s/"), &target, "2025-07-01").is_err());
    }

    #[test]
    fn a_merge_after_a_later_change_is_out_of_order() {
        let target = placed("t", District, "/p/t/");
        let moved_later = Placed {
            placed_from: "2025-08-01",
            ..placed("s", District, "/p/s/")
        };
        assert!(matches!(
            check_merge(&moved_later, &target, "2025-07-01"),
            Err(Error::OutOfOrder(_))
        ));
    }

    #[test]
    fn merge_sources_are_distinct_and_not_the_target() {
        let t = "organizations/t".to_string();
        assert!(validate_merge_sources(&[], &t).is_err());
        assert!(validate_merge_sources(std::slice::from_ref(&t), &t).is_err());
        let s = "organizations/s".to_string();
        assert!(validate_merge_sources(&[s.clone(), s.clone()], &t).is_err());
        assert!(validate_merge_sources(&[s], &t).is_ok());
    }

    fn caller(roles: &[&str], scope: &[&str]) -> Caller {
        let scope: Vec<String> = scope
            .iter()
            .map(|s| match *s {
                "*" => s.to_string(),
                id => format!("organizations/{id}"),
            })
            .collect();
        let scope: Vec<&str> = scope.iter().map(String::as_str).collect();
        Caller::try_from(probity_platform::auth::Claims::new(
            "t", "a", roles, &scope, 0, 60,
        ))
        .expect("valid claims")
    }

    #[test]
    fn only_an_admin_over_the_whole_tree_creates_a_root() {
        assert!(check_may_create_root(&caller(&["admin"], &["*"])).is_ok());
        assert!(check_may_create_root(&caller(&["admin"], &["district"])).is_err());
        assert!(check_may_create_root(&caller(&["writer"], &["*"])).is_err());
    }
}
