//! Members' resource names as other services read and write them.

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
