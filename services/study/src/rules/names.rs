//! Resource names and stored lineages: how ids appear on the wire
//! (`organizations/{id}`, `members/{id}`, `classes/{id}`, …) and how a
//! stored lineage (`/root/…/self/`) lists an organisation's ancestors.

/// The ids in a stored lineage (`/a/b/`), root first.
pub fn lineage_ids(text: &str) -> impl Iterator<Item = &str> {
    text.split('/').filter(|s| !s.is_empty())
}

/// The id in `organizations/{id}` (the name as is when it has no prefix).
pub fn org_id(name: &str) -> &str {
    name.strip_prefix("organizations/").unwrap_or(name)
}

/// The id in `members/{id}` (the name as is when it has no prefix).
pub fn member_id(name: &str) -> &str {
    name.strip_prefix("members/").unwrap_or(name)
}

/// `organizations/{id}`.
pub fn org_name(id: &str) -> String {
    format!("organizations/{id}")
}

/// `members/{id}`.
pub fn member_name(id: &str) -> String {
    format!("members/{id}")
}

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
