//! What a caller's scope covers on today's organisation tree, as members
//! reports it: study keeps organisation lineages of the day a plan or class
//! was recorded (oversight, of the day a case was), but who owns a record
//! is decided by the tree of the day of the request (an organisation moved
//! from B to A belongs to A from the move on).

use std::collections::{HashMap, HashSet};

use crate::OrgInfo;

/// The organisations a caller's scope covers today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeView {
    /// The whole tree (`*` scope): every organisation.
    Everything,
    /// The subtrees of the caller's scope roots.
    Subtrees {
        /// Each covered organisation's lineage today, root first.
        lineages: HashMap<String, Vec<String>>,
        /// The organisations above the scope roots (their ancestors): a
        /// cell reads its province's plans.
        above: HashSet<String>,
    },
}

impl ScopeView {
    /// The view of scope roots, each with the subtree below it (both as
    /// members reported them today).
    pub fn of_subtrees(roots: Vec<(OrgInfo, Vec<OrgInfo>)>) -> Self {
        let mut lineages = HashMap::new();
        let mut above = HashSet::new();
        for (root, below) in roots {
            above.extend(root.lineage.iter().filter(|id| **id != root.id).cloned());
            for org in below.into_iter().chain([root]) {
                lineages.insert(org.id, org.lineage);
            }
        }
        above.retain(|id| !lineages.contains_key(id));
        ScopeView::Subtrees { lineages, above }
    }

    /// The lineage to authorize a record of organisation `org_id` with: its
    /// lineage today when the scope covers it, else nothing (so the
    /// caller's scope cannot cover it).
    pub fn lineage<'a>(&'a self, org_id: &'a str) -> Vec<&'a str> {
        match self {
            ScopeView::Everything => vec![org_id],
            ScopeView::Subtrees { lineages, .. } => lineages
                .get(org_id)
                .map(|l| l.iter().map(String::as_str).collect())
                .unwrap_or_default(),
        }
    }

    /// True when the scope covers organisation `org_id` today.
    pub fn covers(&self, org_id: &str) -> bool {
        match self {
            ScopeView::Everything => true,
            ScopeView::Subtrees { lineages, .. } => lineages.contains_key(org_id),
        }
    }

    /// True when `org_id` is covered or lies above a scope root: a plan of
    /// that organisation is carried out inside the caller's scope.
    pub fn reaches(&self, org_id: &str) -> bool {
        match self {
            ScopeView::Everything => true,
            ScopeView::Subtrees { lineages, above } => {
                lineages.contains_key(org_id) || above.contains(org_id)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(lineage: &[&str]) -> OrgInfo {
        OrgInfo {
            id: lineage.last().unwrap().to_string(),
            parent_id: None,
            lineage: lineage.iter().map(|s| s.to_string()).collect(),
            display_name: String::new(),
            valid_from: None,
            valid_to: None,
        }
    }

    fn district_a() -> ScopeView {
        ScopeView::of_subtrees(vec![(
            org(&["tu", "a"]),
            vec![org(&["tu", "a", "a1"]), org(&["tu", "a", "bx"])],
        )])
    }

    #[test]
    fn a_scope_covers_its_root_and_what_lies_below_it_today() {
        let view = district_a();
        assert!(view.covers("a"));
        assert!(view.covers("bx"));
        assert!(!view.covers("b"));
        assert!(!view.covers("tu"));
    }

    #[test]
    fn a_covered_organisation_is_authorized_with_todays_lineage() {
        assert_eq!(district_a().lineage("bx"), ["tu", "a", "bx"]);
    }

    #[test]
    fn an_organisation_outside_the_scope_has_no_lineage_to_authorize_with() {
        assert!(district_a().lineage("b").is_empty());
    }

    #[test]
    fn the_organisations_above_the_scope_are_reached_not_covered() {
        let view = district_a();
        assert!(view.reaches("tu"));
        assert!(!view.covers("tu"));
        assert!(!view.reaches("b"));
    }

    #[test]
    fn the_whole_tree_covers_everything() {
        assert!(ScopeView::Everything.covers("any"));
        assert_eq!(ScopeView::Everything.lineage("any"), ["any"]);
    }
}
