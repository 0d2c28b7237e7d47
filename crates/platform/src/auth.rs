//! Caller identity and organisation scope.
//!
//! Callers present a signed bearer token: a JWT (HS256) whose claims name
//! the caller (`sub`), their agency, their roles and their organisation
//! scope (a list of organisation ids whose subtrees they may touch, or `*`
//! for the whole tree). Any JWT library can mint one with the shared key.
//! The server layer verifies it and puts a [`Caller`] in the request
//! extensions; handlers ask the caller whether it may touch an
//! organisation.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::ApiError;

pub use crate::policy::Role;

/// Role that may do everything, including creating root organisations.
pub const ROLE_ADMIN: &str = Role::Admin.as_str();
/// Role that may change records inside the caller's scope.
pub const ROLE_WRITER: &str = Role::Writer.as_str();
/// Role that may read records inside the caller's scope.
pub const ROLE_READER: &str = Role::Reader.as_str();
/// Role that may read and verify the audit log.
pub const ROLE_AUDITOR: &str = Role::Auditor.as_str();

/// The claims of a Probity token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Who is calling: a person or a system, e.g. `ban-to-chuc/clerk-07`.
    pub sub: String,
    /// The calling agency (cơ quan), e.g. `ban-to-chuc-tinh-uy`.
    pub agency: String,
    /// Roles, by [`Role::as_str`]: `reader`, `writer`, `review-committee`,
    /// `declaration-control`, `document-registrar`, `auditor`, `admin`.
    /// Names of no role are ignored.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Organisation ids whose subtrees the caller may touch; `*` for all.
    #[serde(default)]
    pub scope: Vec<String>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// Issue time, seconds since the Unix epoch.
    #[serde(default)]
    pub iat: i64,
}

/// The shared key that signs and verifies tokens (HMAC-SHA256).
#[derive(Clone)]
pub struct TokenKey(Vec<u8>);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

impl TokenKey {
    /// A key from raw bytes; at least 32 are required.
    pub fn new(bytes: Vec<u8>) -> Result<Self, String> {
        if bytes.len() < 32 {
            return Err(format!(
                "token key must be at least 32 bytes, got {}",
                bytes.len()
            ));
        }
        Ok(Self(bytes))
    }

    /// A fresh random key (for development set-ups).
    pub fn generate() -> Self {
        let mut bytes = Vec::with_capacity(32);
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self(bytes)
    }

    /// The key as text (base64url), for a key file.
    pub fn to_text(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.0)
    }

    /// Reads a key written by [`to_text`](Self::to_text).
    pub fn from_text(text: &str) -> Result<Self, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| "token key is not base64url text".to_string())?;
        Self::new(bytes)
    }

    /// 32 bytes derived from the key for another purpose named by `label`
    /// (HMAC-SHA256 of the label), so one secret need not serve two uses.
    pub fn derive(&self, label: &str) -> [u8; 32] {
        let mut mac = self.mac();
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC accepts keys of any length.
        Hmac::<Sha256>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!())
    }

    /// Signs claims into a compact JWT.
    pub fn sign(&self, claims: &Claims) -> String {
        let body = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(HEADER),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default())
        );
        let mut mac = self.mac();
        mac.update(body.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{body}.{sig}")
    }

    /// Verifies a compact JWT and returns its claims. `now` is seconds since
    /// the epoch.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, ApiError> {
        let bad = |why: &str| ApiError::Unauthenticated(format!("bearer token rejected: {why}"));
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("not a JWT"));
        };
        let header: serde_json::Value = URL_SAFE_NO_PAD
            .decode(h)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| bad("unreadable header"))?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
            return Err(bad("algorithm must be HS256"));
        }
        let sig = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| bad("unreadable signature"))?;
        let mut mac = self.mac();
        mac.update(h.as_bytes());
        mac.update(b".");
        mac.update(p.as_bytes());
        mac.verify_slice(&sig).map_err(|_| bad("bad signature"))?;
        let claims: Claims = URL_SAFE_NO_PAD
            .decode(p)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| bad("unreadable claims"))?;
        if claims.exp <= now {
            return Err(bad("expired"));
        }
        if claims.sub.is_empty() {
            return Err(bad("no subject"));
        }
        Ok(claims)
    }
}

/// The authenticated caller of a request, put in the request extensions by
/// the server layer.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token's subject.
    pub subject: String,
    /// The token's agency.
    pub agency: String,
    /// The token's roles.
    pub roles: Vec<String>,
    /// Organisation ids whose subtrees the caller may touch; empty with
    /// `all` set for the whole tree.
    scope: Vec<String>,
    all: bool,
}

impl From<Claims> for Caller {
    fn from(c: Claims) -> Self {
        let all = c.scope.iter().any(|s| s == "*");
        Self {
            subject: c.sub,
            agency: c.agency,
            roles: c.roles,
            scope: c.scope.into_iter().filter(|s| s != "*").collect(),
            all,
        }
    }
}

impl Caller {
    /// True when one of the caller's roles grants `role` ([`Role::grants`]).
    pub fn holds(&self, role: Role) -> bool {
        self.roles
            .iter()
            .filter_map(|r| Role::parse(r))
            .any(|held| held.grants(role))
    }

    /// True when the caller holds any of `roles`.
    pub fn holds_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.holds(*r))
    }

    /// The organisation ids at the roots of the caller's scope (empty when
    /// the scope is the whole tree).
    pub fn scope_roots(&self) -> &[String] {
        &self.scope
    }

    /// True when the caller's scope covers the whole tree.
    pub fn sees_everything(&self) -> bool {
        self.all
    }

    /// True when the caller's scope covers an organisation, given the ids
    /// from the root down to and including it.
    pub fn covers<'a>(&self, lineage: impl IntoIterator<Item = &'a str>) -> bool {
        self.all
            || lineage
                .into_iter()
                .any(|id| self.scope.iter().any(|s| s == id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(scope: &[&str]) -> Claims {
        Claims {
            sub: "t".into(),
            agency: "a".into(),
            roles: vec![ROLE_WRITER.into()],
            scope: scope.iter().map(|s| s.to_string()).collect(),
            exp: 2_000,
            iat: 1_000,
        }
    }

    #[test]
    fn signs_and_verifies() {
        let key = TokenKey::generate();
        let token = key.sign(&claims(&["x"]));
        assert_eq!(key.verify(&token, 1_500).unwrap(), claims(&["x"]));
        assert!(key.verify(&token, 2_000).is_err(), "expired");
        assert!(
            TokenKey::generate().verify(&token, 1_500).is_err(),
            "other key"
        );
        let mut forged = token.clone();
        forged.replace_range(token.len() - 3.., "AAA");
        assert!(key.verify(&forged, 1_500).is_err());
    }

    #[test]
    fn key_text_round_trips() {
        let key = TokenKey::generate();
        let again = TokenKey::from_text(&key.to_text()).unwrap();
        assert_eq!(again.sign(&claims(&[])), key.sign(&claims(&[])));
        assert!(TokenKey::from_text("c2hvcnQ").is_err());
    }

    #[test]
    fn scope_is_a_subtree() {
        let caller = Caller::from(claims(&["district"]));
        assert!(caller.covers(["province", "district", "cell"]));
        assert!(!caller.covers(["province", "other", "cell"]));
        assert!(Caller::from(claims(&["*"])).covers(["anything"]));
    }

    #[test]
    fn roles_are_read_by_name_and_unknown_names_grant_nothing() {
        let mut c = claims(&["x"]);
        c.roles = vec!["superuser".into(), "writer".into()];
        let caller = Caller::from(c);
        assert!(caller.holds(Role::Reader));
        assert!(caller.holds(Role::Writer));
        assert!(!caller.holds(Role::Admin));
        assert!(!caller.holds(Role::DeclarationControl));
    }
}
