//! Field masks (AIP-134, AIP-161) for Update methods.

use crate::error::ApiError;
use prost_types::FieldMask;

/// The fields an update touches. `allowed` lists the updatable fields;
/// `*` means all of them; an absent or empty mask means every allowed field
/// that `is_set` says the client filled in. Unknown paths are refused.
pub fn paths(
    mask: Option<&FieldMask>,
    allowed: &[&'static str],
    is_set: impl Fn(&str) -> bool,
) -> Result<Vec<&'static str>, ApiError> {
    let given = mask.map(|m| m.paths.as_slice()).unwrap_or_default();
    if given.is_empty() {
        return Ok(allowed.iter().copied().filter(|p| is_set(p)).collect());
    }
    if given.iter().any(|p| p == "*") {
        return Ok(allowed.to_vec());
    }
    let mut out = Vec::new();
    for p in given {
        match allowed.iter().find(|a| **a == p.as_str()) {
            Some(a) => out.push(*a),
            None => {
                return Err(ApiError::invalid(
                    "update_mask",
                    format!(
                        "{p:?} cannot be updated; updatable fields: {}",
                        allowed.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        let m = |p: &[&str]| FieldMask {
            paths: p.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(
            paths(Some(&m(&["code"])), &["code", "name"], |_| false).unwrap(),
            vec!["code"]
        );
        assert_eq!(
            paths(Some(&m(&["*"])), &["code", "name"], |_| false).unwrap(),
            vec!["code", "name"]
        );
        assert_eq!(
            paths(None, &["code", "name"], |p| p == "name").unwrap(),
            vec!["name"]
        );
        assert!(paths(Some(&m(&["kind"])), &["code"], |_| true).is_err());
    }
}
