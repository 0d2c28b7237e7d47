//! Resource names, ids and etags.

use crate::error::ApiError;

/// A new resource id: a UUIDv7 in lower-case hex (32 characters), so ids
/// sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// Reads `{collection}/{id}` from `field` and returns the id. A malformed
/// name is `INVALID_ARGUMENT`; a well-formed one may still not exist.
pub fn parse_name<'a>(field: &str, name: &'a str, collection: &str) -> Result<&'a str, ApiError> {
    if name.is_empty() {
        return Err(ApiError::invalid(field, "required"));
    }
    match name
        .strip_prefix(collection)
        .and_then(|r| r.strip_prefix('/'))
    {
        Some(id) if is_id(id) => Ok(id),
        _ => Err(ApiError::invalid(
            field,
            format!("must be a resource name of the form {collection}/{{id}}"),
        )),
    }
}

/// True for text that can be an id: 1 to 63 lower-case letters, digits
/// and hyphens.
pub fn is_id(id: &str) -> bool {
    (1..=63).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The etag of a resource at a revision.
pub fn etag(revision: i64) -> String {
    format!("\"{revision}\"")
}

/// `ABORTED` when the client sent an etag that is not the current one. An
/// empty etag means "no check" (AIP-154).
pub fn check_etag(resource: &str, sent: &str, revision: i64) -> Result<(), ApiError> {
    check_current_etag(resource, sent, &etag(revision))
}

/// Like [`check_etag`], against the etag of a resource as already loaded.
pub fn check_current_etag(resource: &str, sent: &str, current: &str) -> Result<(), ApiError> {
    if sent.is_empty() || sent == current {
        Ok(())
    } else {
        Err(ApiError::StaleEtag {
            resource: resource.to_string(),
            sent: sent.to_string(),
            current: current.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_etags() {
        assert_eq!(parse_name("n", "members/abc1", "members").unwrap(), "abc1");
        assert!(parse_name("n", "organizations/abc", "members").is_err());
        assert!(parse_name("n", "members/ABC", "members").is_err());
        assert!(parse_name("n", "", "members").is_err());
        assert!(check_etag("m", "", 3).is_ok());
        assert!(check_etag("m", "\"3\"", 3).is_ok());
        assert_eq!(
            check_etag("m", "\"2\"", 3).unwrap_err().code(),
            tonic::Code::Aborted
        );
        assert_eq!(new_id().len(), 32);
    }
}

/// The smallest string greater than every materialised path that starts
/// with `prefix` (which ends in `/`): `/` is followed by `0` in byte order,
/// so a subtree is the range `prefix <= path < path_upper(prefix)`.
pub fn path_upper(prefix: &str) -> String {
    let mut s = prefix.trim_end_matches('/').to_string();
    s.push('0');
    s
}

#[cfg(test)]
mod path_tests {
    #[test]
    fn a_subtree_is_a_range() {
        let upper = super::path_upper("/a/b/");
        assert_eq!(upper, "/a/b0");
        assert!("/a/b/c/" < upper.as_str());
        assert!("/a/b0x/" >= upper.as_str());
        assert!("/a/bc/" >= upper.as_str(), "a sibling whose id extends b");
    }
}
