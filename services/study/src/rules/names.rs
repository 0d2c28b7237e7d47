//! Resource names and stored lineages: how ids appear on the wire
//! (`organizations/{id}`, `members/{id}`, `classes/{id}`, …) and how a
//! stored lineage (`/root/…/self/`) lists an organisation's ancestors.

/// The ids in a stored lineage (`/a/b/`), root first.
pub fn lineage_ids(text: &str) -> impl Iterator<Item = &str> {
    text.split('/').filter(|s| !s.is_empty())
}

/// Members' resource names (`organizations/{id}`, `members/{id}`), as the
/// shared members client reads and writes them.
pub use probity_members_client::names::{member_id, member_name, org_id, org_name};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lineage_lists_ids_root_first() {
        assert_eq!(lineage_ids("/a/b/").collect::<Vec<_>>(), vec!["a", "b"]);
        assert_eq!(lineage_ids("").count(), 0);
    }

    #[test]
    fn names_wrap_and_unwrap_ids() {
        assert_eq!(org_id(&org_name("x")), "x");
        assert_eq!(member_id(&member_name("y")), "y");
    }
}
