//! Keyset pagination (AIP-158) with opaque, sealed page tokens.
//!
//! A page token holds the last row's sort key, encrypted and authenticated
//! with the server's [`PageKey`] (ChaCha20-Poly1305) and bound to the caller
//! (agency and subject), the method and the query's other parameters. A
//! client reads nothing from it — not the ids or tree paths of the rows
//! around the page — and a token that was altered, forged, issued to
//! another caller or for another list is refused with `INVALID_ARGUMENT`.
//! Because the token holds a key, not an offset, page 1,000 costs what page
//! 1 costs.

use std::sync::Arc;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chacha20poly1305::{
    ChaCha20Poly1305, KeyInit, Nonce,
    aead::{Aead, Payload},
};
use sha2::{Digest, Sha256};

use crate::{call::Call, error::ApiError};

/// Page size used when the request leaves `page_size` at 0.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// Largest page size; larger requests are coerced down to it.
pub const MAX_PAGE_SIZE: u32 = crate::limits::PAGE_SIZE as u32;
/// Longest page token accepted, in characters.
const MAX_TOKEN_LEN: usize = crate::limits::PAGE_TOKEN;
/// Bytes of a nonce.
const NONCE_LEN: usize = 12;

/// The key that seals page tokens. Every instance of a service must hold
/// the same key for tokens to work across them.
#[derive(Clone)]
pub struct PageKey(Arc<ChaCha20Poly1305>);

impl std::fmt::Debug for PageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageKey(..)")
    }
}

impl PageKey {
    /// A key from 32 secret bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(Arc::new(ChaCha20Poly1305::new(&bytes.into())))
    }

    /// Reads a key written by [`to_text`](Self::to_text).
    pub fn from_text(text: &str) -> Result<Self, String> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| "a page key is 32 bytes in base64url".to_string())?;
        Ok(Self::new(bytes))
    }

    /// A fresh random key as text, for a key file (`probity keys init`).
    pub fn generate_text() -> String {
        use base64::Engine;
        let mut bytes = [0_u8; 32];
        bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// A fresh random key: tokens then last as long as the process.
    pub fn generate() -> Self {
        let mut bytes = [0_u8; 32];
        bytes[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        bytes[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self::new(bytes)
    }

    fn seal(&self, binding: &[u8], key: &str) -> String {
        let nonce_bytes = &uuid::Uuid::new_v4().into_bytes()[..NONCE_LEN];
        let nonce = Nonce::from_slice(nonce_bytes);
        let sealed = self
            .0
            .encrypt(
                nonce,
                Payload {
                    msg: key.as_bytes(),
                    aad: binding,
                },
            )
            .unwrap_or_default();
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(out)
    }

    fn open(&self, binding: &[u8], token: &str) -> Option<String> {
        if token.len() > MAX_TOKEN_LEN {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let plain = self
            .0
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: binding,
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

/// A validated page request.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// Number of rows to return.
    pub size: u32,
    /// Sort key of the last row of the previous page; `None` for page one.
    pub after: Option<String>,
    key: PageKey,
    binding: [u8; 32],
}

impl PageRequest {
    /// Validates `page_size` and `page_token` of a list request made by
    /// `call`. `query` names every other parameter that shapes the result
    /// (filters, parent, date); a token is valid only for the same caller,
    /// method and `query`.
    pub fn parse(
        call: &Call,
        page_size: i32,
        page_token: &str,
        query: &str,
    ) -> Result<Self, ApiError> {
        let binding = binding(
            &[&call.caller.agency, &call.caller.subject, &call.method],
            query,
        );
        Self::open(call.page_key.clone(), binding, page_size, page_token)
    }

    /// [`parse`](Self::parse) with the key and binding given.
    fn open(
        key: PageKey,
        binding: [u8; 32],
        page_size: i32,
        page_token: &str,
    ) -> Result<Self, ApiError> {
        if page_size < 0 {
            return Err(ApiError::invalid("page_size", "must not be negative"));
        }
        let size = match page_size as u32 {
            0 => DEFAULT_PAGE_SIZE,
            n => n.min(MAX_PAGE_SIZE),
        };
        let after = if page_token.is_empty() {
            None
        } else {
            Some(key.open(&binding, page_token).ok_or_else(|| {
                ApiError::invalid(
                    "page_token",
                    "not a token this list gave you with these parameters; start again without a token",
                )
            })?)
        };
        Ok(Self {
            size,
            after,
            key,
            binding,
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
            self.key.seal(&self.binding, &last)
        } else {
            String::new()
        }
    }
}

/// What a token is bound to: the caller's parts and the query, hashed.
fn binding(parts: &[&str], query: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    h.update(query.as_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(
        key: &PageKey,
        who: &str,
        size: i32,
        token: &str,
        query: &str,
    ) -> Result<PageRequest, ApiError> {
        PageRequest::open(key.clone(), binding(&[who], query), size, token)
    }

    #[test]
    fn sizes_are_defaulted_coerced_and_checked() {
        let key = PageKey::generate();
        assert_eq!(
            parse(&key, "a", 0, "", "q").unwrap().size,
            DEFAULT_PAGE_SIZE
        );
        assert_eq!(parse(&key, "a", 5000, "", "q").unwrap().size, MAX_PAGE_SIZE);
        assert!(parse(&key, "a", -1, "", "q").is_err());
    }

    /// The row a page ends with: an id and a tree path, as lists use.
    const LAST: &str = "/0190aa/0190bb/|0190cc";

    fn second_page_token(key: &PageKey) -> String {
        let page = parse(key, "a", 2, "", "org=a").unwrap();
        let mut rows = vec!["/0190aa/|0190a0", LAST, "/0190dd/|0190d0"];
        let token = page.finish(&mut rows, |r| r.to_string());
        assert_eq!(rows.len(), 2);
        token
    }

    #[test]
    fn a_token_continues_the_same_list_for_the_same_caller() {
        let key = PageKey::generate();
        let token = second_page_token(&key);
        let next = parse(&key, "a", 2, &token, "org=a").unwrap();
        assert_eq!(next.after.as_deref(), Some(LAST));
    }

    #[test]
    fn a_token_reveals_nothing_of_the_row_it_continues_after() {
        let key = PageKey::generate();
        let token = second_page_token(&key);
        let bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("0190"));
        assert!(!token.contains("0190"));
    }

    #[test]
    fn a_token_of_another_query_caller_or_server_is_refused() {
        let key = PageKey::generate();
        let token = second_page_token(&key);
        assert!(parse(&key, "a", 2, &token, "org=b").is_err());
        assert!(parse(&key, "b", 2, &token, "org=a").is_err());
        assert!(parse(&PageKey::generate(), "a", 2, &token, "org=a").is_err());
    }

    #[test]
    fn an_altered_or_malformed_token_is_refused() {
        let key = PageKey::generate();
        let token = second_page_token(&key);
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let altered = URL_SAFE_NO_PAD.encode(bytes);
        assert!(parse(&key, "a", 2, &altered, "org=a").is_err());
        assert!(parse(&key, "a", 2, "garbage!", "org=a").is_err());
        assert!(parse(&key, "a", 2, "AAAA", "org=a").is_err());
        assert!(parse(&key, "a", 2, &"A".repeat(5000), "org=a").is_err());
    }

    #[test]
    fn last_page_has_no_token() {
        let key = PageKey::generate();
        let page = parse(&key, "a", 5, "", "q").unwrap();
        let mut rows = vec![1, 2];
        assert_eq!(page.finish(&mut rows, |r| r.to_string()), "");
    }
}
