//! Caller identity and organisation scope.
//!
//! Callers present a signed bearer token: a JWT signed with an asymmetric
//! key (EdDSA or ES256) whose claims name the issuer (`iss`), the audience
//! (`aud`), the caller (`sub`), their agency, their roles and their
//! organisation scope (resource names `organizations/{id}` whose subtrees
//! they may touch, or `*` for the whole tree), with a unique id (`jti`) and
//! a bounded lifetime. Services hold only public keys ([`Verifier`], from a
//! JWKS file that is reloaded without a restart, with a list of revoked
//! token ids); the private key stays with the issuer ([`Issuer`]: `probity
//! token issue`, or an agency's own identity provider). The gateway
//! verifies the token and puts a [`Caller`] in the request extensions;
//! handlers ask the caller whether it may touch an organisation.

mod issuer;
mod verifier;

use serde::{Deserialize, Serialize};

pub use crate::policy::Role;
pub use issuer::Issuer;
pub use verifier::{TokenRules, TrustFiles, Verifier};

use crate::error::ApiError;

/// Role that may do everything, including creating root organisations.
pub const ROLE_ADMIN: &str = Role::Admin.as_str();
/// Role that may change records inside the caller's scope.
pub const ROLE_WRITER: &str = Role::Writer.as_str();
/// Role that may read records inside the caller's scope.
pub const ROLE_READER: &str = Role::Reader.as_str();
/// Role that may read and verify the audit log.
pub const ROLE_AUDITOR: &str = Role::Auditor.as_str();

/// The issuer name of tokens minted by `probity token issue` and `probity
/// up`, and the default trusted issuer.
pub const DEFAULT_ISSUER: &str = "probity";
/// The audience every Probity token must name.
pub const DEFAULT_AUDIENCE: &str = "probity";
/// The scope entry that covers the whole tree.
pub const WHOLE_TREE: &str = "*";

/// The claims of a Probity token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Who issued the token; must be one of the verifier's trusted issuers.
    pub iss: String,
    /// Whom the token is for; must include the verifier's audience.
    #[serde(with = "audience")]
    pub aud: Vec<String>,
    /// Who is calling: a person or a system, e.g. `ban-to-chuc/clerk-07`.
    pub sub: String,
    /// The calling agency (cơ quan), e.g. `ban-to-chuc-tinh-uy`. Under
    /// mutual TLS it must be the agency of the client certificate.
    pub agency: String,
    /// Roles, by [`Role::as_str`]: `reader`, `writer`, `review-committee`,
    /// `declaration-control`, `document-registrar`, `case-officer`,
    /// `steering-committee`, `auditor`, `admin`.
    /// Names of no role are ignored.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Organisations whose subtrees the caller may touch, by resource name
    /// (`organizations/{id}`); `*` for all.
    #[serde(default)]
    pub scope: Vec<String>,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
    /// Issue time, seconds since the Unix epoch.
    pub iat: i64,
    /// Not valid before, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// The token's unique id, by which it can be revoked.
    pub jti: String,
}

impl Claims {
    /// Claims of a new token by the default issuer for the default
    /// audience: `sub` of `agency` with `roles` over `scope` (resource
    /// names or `*`), issued at `now`, valid for `lifetime_seconds`, with a
    /// fresh `jti`.
    pub fn new(
        sub: &str,
        agency: &str,
        roles: &[&str],
        scope: &[&str],
        now: i64,
        lifetime_seconds: i64,
    ) -> Self {
        Self {
            iss: DEFAULT_ISSUER.into(),
            aud: vec![DEFAULT_AUDIENCE.into()],
            sub: sub.into(),
            agency: agency.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            scope: scope.iter().map(|s| s.to_string()).collect(),
            exp: now + lifetime_seconds,
            iat: now,
            nbf: None,
            jti: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// The organisation ids of the scope and whether it is the whole tree;
    /// an entry that is neither `*` nor `organizations/{id}` is refused.
    fn parse_scope(&self) -> Result<(Vec<String>, bool), ApiError> {
        let mut ids = Vec::with_capacity(self.scope.len());
        let mut all = false;
        for entry in &self.scope {
            if entry == WHOLE_TREE {
                all = true;
            } else if let Some(id) = entry
                .strip_prefix("organizations/")
                .filter(|id| !id.is_empty() && !id.contains('/'))
            {
                ids.push(id.to_string());
            } else {
                return Err(ApiError::Unauthenticated(
                    "bearer token rejected: a scope entry must be `organizations/{id}` or `*`"
                        .into(),
                ));
            }
        }
        Ok((ids, all))
    }
}

/// `aud` as JSON allows: one string or a list of them.
mod audience {
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }

    pub fn serialize<S: Serializer>(aud: &[String], s: S) -> Result<S::Ok, S::Error> {
        match aud {
            [one] => s.serialize_str(one),
            many => s.collect_seq(many),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match OneOrMany::deserialize(d)? {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many,
        })
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

impl TryFrom<Claims> for Caller {
    type Error = ApiError;

    fn try_from(c: Claims) -> Result<Self, ApiError> {
        let (scope, all) = c.parse_scope()?;
        Ok(Self {
            subject: c.sub,
            agency: c.agency,
            roles: c.roles,
            scope,
            all,
        })
    }
}

impl Caller {
    /// The service itself, for the work its job runner does on its own
    /// account (escalations, deliveries): subject `service:{name}`, agency
    /// `probity`, the whole tree, no role (it never passes the gateway).
    /// Its writes are audited under that name.
    pub fn service(name: &str) -> Self {
        Self {
            subject: format!("service:{name}"),
            agency: "probity".into(),
            roles: Vec::new(),
            scope: Vec::new(),
            all: true,
        }
    }

    /// Nobody in particular: the caller of an [`Access::Open`] method,
    /// which needs no token (subject `anonymous`, no agency, no role, no
    /// scope). The handler names the caller for the audit log by what the
    /// request proved (e.g. `receipt:{locator}`), never by address.
    ///
    /// [`Access::Open`]: crate::policy::Access::Open
    pub fn anonymous() -> Self {
        Self {
            subject: "anonymous".into(),
            agency: String::new(),
            roles: Vec::new(),
            scope: Vec::new(),
            all: false,
        }
    }

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

    fn caller(scope: &[&str]) -> Caller {
        Caller::try_from(Claims::new("t", "a", &[ROLE_WRITER], scope, 1_000, 60)).unwrap()
    }

    #[test]
    fn scope_is_a_subtree() {
        let caller = caller(&["organizations/district"]);
        assert!(caller.covers(["province", "district", "cell"]));
        assert!(!caller.covers(["province", "other", "cell"]));
        assert!(self::caller(&["*"]).covers(["anything"]));
    }

    #[test]
    fn scope_entries_are_resource_names() {
        for bad in [
            "district",
            "organizations/",
            "members/x",
            "organizations/a/b",
        ] {
            let claims = Claims::new("t", "a", &[ROLE_WRITER], &[bad], 1_000, 60);
            assert!(Caller::try_from(claims).is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_are_read_by_name_and_unknown_names_grant_nothing() {
        let mut c = Claims::new("t", "a", &[], &["*"], 1_000, 60);
        c.roles = vec!["superuser".into(), "writer".into()];
        let caller = Caller::try_from(c).unwrap();
        assert!(caller.holds(Role::Reader));
        assert!(caller.holds(Role::Writer));
        assert!(!caller.holds(Role::Admin));
        assert!(!caller.holds(Role::DeclarationControl));
    }

    #[test]
    fn audience_reads_one_or_many() {
        let mut c = Claims::new("t", "a", &[], &[], 1, 1);
        let one = serde_json::to_value(&c).unwrap();
        assert_eq!(one["aud"], "probity");
        c.aud.push("other".into());
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Claims>(&text).unwrap(), c);
    }
}
