//! Resource names and materialised paths: how ids appear on the wire
//! (`organizations/{id}`, `members/{id}`) and how a placement's path
//! (`/root/…/self/`) lists an organisation's lineage.

/// `organizations/{id}`.
pub fn org_name(id: &str) -> String {
    format!("organizations/{id}")
}

/// `members/{id}`.
pub fn member_name(id: &str) -> String {
    format!("members/{id}")
}

/// The id in `members/{id}` (the name as is when it has no prefix).
pub fn member_id(name: &str) -> &str {
    name.strip_prefix("members/").unwrap_or(name)
}

/// The ids in a path, root first.
pub fn lineage(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

/// The smallest string greater than every path under `prefix`: the
/// platform's [`path_upper`](probity_platform::resource::path_upper).
pub use probity_platform::resource::path_upper as upper;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_lists_the_lineage_root_first() {
        assert_eq!(lineage("/a/b/c/").collect::<Vec<_>>(), vec!["a", "b", "c"]);
    }

    #[test]
    fn the_upper_bound_of_a_prefix_leaves_siblings_out() {
        let u = upper("/a/b/");
        assert!("/a/b/c/" < u.as_str() && "/a/b/" < u.as_str());
        assert!("/a/b0/" >= u.as_str());
        assert!(
            "/a/ba/" > u.as_str(),
            "siblings sharing a prefix are outside"
        );
    }

    #[test]
    fn names_wrap_and_unwrap_ids() {
        assert_eq!(org_name("x"), "organizations/x");
        assert_eq!(member_id(&member_name("y")), "y");
    }
}
