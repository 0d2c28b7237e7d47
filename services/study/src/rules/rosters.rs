//! A plan's eligible roster: the scope's organisation tree and its members
//! on the reference date (exempt members left out), as taken from members
//! and kept with the plan.

use std::collections::HashMap;

use probity_platform::ApiError;

use crate::error::Result;
use probity_members_client::{OrgInfo, RosterEntry};

/// One organisation of the scope's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The tree, parents first.
    pub orgs: Vec<TreeOrg>,
    /// The eligible members.
    pub members: Vec<RosterEntry>,
}

/// The tree of `scope` with the organisations `below` it (parents listed
/// before their children), paths counted from the scope's root.
pub fn scope_tree(scope: &OrgInfo, below: Vec<OrgInfo>) -> Result<Vec<TreeOrg>> {
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
    Ok(orgs)
}

/// The members in tree order (organisation path, then member): stored so,
/// the members of one organisation's subtree (a class's audience) sit on a
/// few neighbouring pages, and a class's recount changes those instead of
/// one page per member.
pub fn in_tree_order(snapshot: &Snapshot) -> Vec<&RosterEntry> {
    let path: HashMap<&str, &str> = snapshot
        .orgs
        .iter()
        .map(|o| (o.id.as_str(), o.path.as_str()))
        .collect();
    let mut members: Vec<&RosterEntry> = snapshot.members.iter().collect();
    members.sort_by_cached_key(|m| {
        (
            path.get(m.org_id.as_str()).copied().unwrap_or("~"),
            m.member_id.as_str(),
        )
    });
    members
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: &str, parent: Option<&str>) -> OrgInfo {
        OrgInfo {
            id: id.into(),
            parent_id: parent.map(str::to_string),
            lineage: Vec::new(),
            display_name: id.to_uppercase(),
            valid_from: None,
            valid_to: None,
        }
    }

    fn member(id: &str, org: &str) -> RosterEntry {
        RosterEntry {
            member_id: id.into(),
            full_name: id.into(),
            party_card_number: "123456".into(),
            org_id: org.into(),
        }
    }

    #[test]
    fn paths_count_from_the_scopes_root() {
        let tree = scope_tree(
            &org("d", Some("p")),
            vec![org("g", Some("d")), org("c", Some("g"))],
        )
        .unwrap();
        let paths: Vec<(&str, i64)> = tree.iter().map(|o| (o.path.as_str(), o.depth)).collect();
        assert_eq!(paths, vec![("/d/", 0), ("/d/g/", 1), ("/d/g/c/", 2)]);
        assert_eq!(
            tree[0].parent_id, None,
            "the root has no parent in the tree"
        );
    }

    #[test]
    fn a_child_listed_before_its_parent_is_a_fault() {
        assert!(scope_tree(&org("d", None), vec![org("c", Some("g"))]).is_err());
    }

    #[test]
    fn members_are_stored_in_tree_order() {
        let snapshot = Snapshot {
            orgs: scope_tree(
                &org("d", None),
                vec![org("b", Some("d")), org("a", Some("d"))],
            )
            .unwrap(),
            members: vec![member("m1", "b"), member("m2", "a"), member("m0", "b")],
        };
        let order: Vec<&str> = in_tree_order(&snapshot)
            .iter()
            .map(|m| m.member_id.as_str())
            .collect();
        assert_eq!(order, vec!["m2", "m0", "m1"]);
    }
}
