//! Keyset pagination (AIP-158).
//!
//! A page token is opaque to clients: base64url of the last row's sort key
//! and a fingerprint of the query's other parameters. Reusing a token with
//! different filters is refused with `INVALID_ARGUMENT`. Because the token
//! holds a key, not an offset, page 1,000 costs what page 1 costs.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// Page size used when the request leaves `page_size` at 0.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// Largest page size; larger requests are coerced down to it.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// A validated page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Number of rows to return.
    pub size: u32,
    /// Sort key of the last row of the previous page; `None` for page one.
    pub after: Option<String>,
    fingerprint: String,
}

#[derive(Serialize, Deserialize)]
struct Token {
    k: String,
    q: String,
}

impl PageRequest {
    /// Validates `page_size` and `page_token` of a list request. `query`
    /// names every other parameter that shapes the result (filters, parent,
    /// date); a token is only valid with the same `query`.
    pub fn parse(page_size: i32, page_token: &str, query: &str) -> Result<Self, ApiError> {
        if page_size < 0 {
            return Err(ApiError::invalid("page_size", "must not be negative"));
        }
        let size = match page_size as u32 {
            0 => DEFAULT_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        };
        let fingerprint = fingerprint(query);
        let after = if page_token.is_empty() {
            None
        } else {
            let bad = || ApiError::invalid("page_token", "not a token returned by this list");
            let bytes = URL_SAFE_NO_PAD.decode(page_token).map_err(|_| bad())?;
            let token: Token = serde_json::from_slice(&bytes).map_err(|_| bad())?;
            if token.q != fingerprint {
                return Err(ApiError::invalid(
                    "page_token",
                    "was issued for a list with other parameters; start again without a token",
                ));
            }
            Some(token.k)
        };
        Ok(Self {
            size,
            after,
            fingerprint,
        })
    }

    /// The SQL `LIMIT` to use: one more than the page, to learn whether a
    /// next page exists.
    pub fn limit(&self) -> i64 {
        i64::from(self.size) + 1
    }

    /// Cuts `rows` (fetched with [`limit`](Self::limit)) to the page and
    /// returns the token for the next page (empty at the end). `key` gives
    /// a row's sort key.
    pub fn finish<T>(&self, rows: &mut Vec<T>, key: impl Fn(&T) -> String) -> String {
        if rows.len() as u64 > u64::from(self.size) {
            rows.truncate(self.size as usize);
            let last = rows.last().map(key).unwrap_or_default();
            let token = Token {
                k: last,
                q: self.fingerprint.clone(),
            };
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).unwrap_or_default())
        } else {
            String::new()
        }
    }
}

fn fingerprint(query: &str) -> String {
    let digest = Sha256::digest(query.as_bytes());
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_defaulted_coerced_and_checked() {
        assert_eq!(
            PageRequest::parse(0, "", "q").unwrap().size,
            DEFAULT_PAGE_SIZE
        );
        assert_eq!(
            PageRequest::parse(5000, "", "q").unwrap().size,
            MAX_PAGE_SIZE
        );
        assert!(PageRequest::parse(-1, "", "q").is_err());
    }

    #[test]
    fn tokens_are_bound_to_the_query() {
        let page = PageRequest::parse(2, "", "org=a").unwrap();
        let mut rows = vec!["x", "y", "z"];
        let token = page.finish(&mut rows, |r| r.to_string());
        assert_eq!(rows, vec!["x", "y"]);
        let next = PageRequest::parse(2, &token, "org=a").unwrap();
        assert_eq!(next.after.as_deref(), Some("y"));
        assert!(PageRequest::parse(2, &token, "org=b").is_err());
        assert!(PageRequest::parse(2, "garbage!", "org=a").is_err());
    }

    #[test]
    fn last_page_has_no_token() {
        let page = PageRequest::parse(5, "", "q").unwrap();
        let mut rows = vec![1, 2];
        assert_eq!(page.finish(&mut rows, |r| r.to_string()), "");
    }
}
