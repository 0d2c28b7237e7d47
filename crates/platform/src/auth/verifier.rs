//! The public side of tokens: which keys, issuers and audience a service
//! trusts, how long a token may live, and which tokens are revoked.
//!
//! Keys come from a JWKS document (several at once, chosen by the token's
//! `kid`, so an issuer rotates by publishing the new key beside the old
//! one); revoked token ids from a text file, one `jti` a line. Both files
//! are read again when they change ([`Verifier::reload`], called by the
//! server every few seconds), without a restart; a file that fails to read
//! keeps the last good contents and is logged.

use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, SystemTime},
};

use jsonwebtoken::{
    Algorithm, DecodingKey, Validation,
    jwk::{AlgorithmParameters, EllipticCurve, JwkSet},
};

use super::{Claims, DEFAULT_AUDIENCE, DEFAULT_ISSUER, Issuer};
use crate::error::ApiError;

/// What a token must satisfy besides a good signature.
#[derive(Debug, Clone)]
pub struct TokenRules {
    /// Issuers (`iss`) whose tokens are accepted (default `probity`).
    pub issuers: Vec<String>,
    /// The audience (`aud`) a token must name (default `probity`).
    pub audience: String,
    /// The longest a token may be valid, from `iat` to `exp`; a token
    /// whose `exp` lies further ahead is refused (default 12 h).
    pub max_lifetime: Duration,
    /// Clock difference tolerated between issuer and service (default 60 s).
    pub leeway: Duration,
}

impl Default for TokenRules {
    fn default() -> Self {
        Self {
            issuers: vec![DEFAULT_ISSUER.into()],
            audience: DEFAULT_AUDIENCE.into(),
            max_lifetime: Duration::from_secs(12 * 3600),
            leeway: Duration::from_secs(60),
        }
    }
}

/// The files a verifier reads its trust from.
#[derive(Debug, Clone)]
pub struct TrustFiles {
    /// The JWKS document of the trusted public keys.
    pub jwks: PathBuf,
    /// Revoked token ids, one `jti` a line (`#` starts a comment); none
    /// when unset or missing.
    pub revoked: Option<PathBuf>,
}

/// The keys and revocations in force.
#[derive(Default)]
struct Trust {
    keys: HashMap<String, (DecodingKey, Algorithm)>,
    revoked: HashSet<String>,
}

/// Verifies bearer tokens with public keys only.
///
/// A signature check costs about 60 µs (Ed25519, this machine) — a fifth
/// of a whole small call — and a client sends the same token call after
/// call, so tokens whose signature and claims passed are remembered (up to
/// [`REMEMBERED`], forgotten all at once when the trust files change): a
/// remembered token is checked again only for what changes with time — its
/// validity window, its key still trusted, its `jti` not revoked.
pub struct Verifier {
    rules: TokenRules,
    trust: RwLock<Arc<Trust>>,
    files: Option<TrustFiles>,
    /// Modification times of the files as last read.
    seen: Mutex<(Option<SystemTime>, Option<SystemTime>)>,
    /// Tokens that passed, with their key id and claims.
    remembered: Mutex<HashMap<String, (String, Claims)>>,
}

/// How many verified tokens a verifier remembers.
pub const REMEMBERED: usize = 4096;

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let trust = self.current();
        f.debug_struct("Verifier")
            .field("rules", &self.rules)
            .field("keys", &trust.keys.keys().collect::<Vec<_>>())
            .field("revoked", &trust.revoked.len())
            .field("files", &self.files)
            .finish()
    }
}

fn read_keys(jwks: &str) -> Result<HashMap<String, (DecodingKey, Algorithm)>, String> {
    let set: JwkSet =
        serde_json::from_str(jwks).map_err(|e| format!("not a JWKS document: {e}"))?;
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let Some(kid) = jwk.common.key_id.clone().filter(|k| !k.is_empty()) else {
            return Err("every key needs a `kid`".into());
        };
        // The algorithm follows from the key itself, never from the token:
        // Ed25519 keys verify EdDSA, P-256 keys ES256, nothing else.
        let algorithm = match &jwk.algorithm {
            AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
                Algorithm::EdDSA
            }
            AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
                Algorithm::ES256
            }
            _ => {
                return Err(format!(
                    "key {kid}: only Ed25519 (EdDSA) and P-256 (ES256) public keys are accepted"
                ));
            }
        };
        let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("key {kid}: {e}"))?;
        keys.insert(kid, (key, algorithm));
    }
    if keys.is_empty() {
        return Err("the JWKS document holds no key".into());
    }
    Ok(keys)
}

fn read_revoked(text: &str) -> HashSet<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// An `UNAUTHENTICATED` refusal of a token, saying why.
fn bad(why: &str) -> ApiError {
    ApiError::Unauthenticated(format!("bearer token rejected: {why}"))
}

fn modified(path: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl Verifier {
    /// A verifier trusting the keys of a JWKS document, with no files to
    /// reload.
    pub fn from_jwks(jwks: &str, rules: TokenRules) -> Result<Self, String> {
        let trust = Trust {
            keys: read_keys(jwks)?,
            revoked: HashSet::new(),
        };
        Ok(Self::new(rules, trust, None))
    }

    fn new(rules: TokenRules, trust: Trust, files: Option<TrustFiles>) -> Self {
        Self {
            rules,
            trust: RwLock::new(Arc::new(trust)),
            files,
            seen: Mutex::new((None, None)),
            remembered: Mutex::new(HashMap::new()),
        }
    }

    /// A verifier trusting `issuer`'s key (tests, development).
    pub fn trusting(issuer: &Issuer, rules: TokenRules) -> Self {
        Self::from_jwks(&Issuer::jwks([issuer]), rules)
            .unwrap_or_else(|e| unreachable!("an issuer's own JWKS is valid: {e}"))
    }

    /// A verifier reading `files` now and again whenever they change.
    pub fn from_files(files: TrustFiles, rules: TokenRules) -> Result<Self, String> {
        let me = Self::new(rules, Trust::default(), Some(files));
        me.load()?;
        Ok(me)
    }

    /// The rules tokens are held to.
    pub fn rules(&self) -> &TokenRules {
        &self.rules
    }

    fn current(&self) -> Arc<Trust> {
        self.trust.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Reads both files whatever their times.
    fn load(&self) -> Result<(), String> {
        let Some(files) = &self.files else {
            return Ok(());
        };
        let stamps = (
            modified(&files.jwks),
            files.revoked.as_deref().and_then(modified),
        );
        let jwks = std::fs::read_to_string(&files.jwks)
            .map_err(|e| format!("{}: {e}", files.jwks.display()))?;
        let keys = read_keys(&jwks).map_err(|e| format!("{}: {e}", files.jwks.display()))?;
        let revoked = match &files.revoked {
            Some(path) if path.exists() => read_revoked(
                &std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
            ),
            _ => HashSet::new(),
        };
        *self.trust.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(Trust { keys, revoked });
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = stamps;
        self.remembered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        Ok(())
    }

    /// Reads the files again if either changed since the last read; true
    /// when it did. On an error the last good trust stays in force.
    pub fn reload(&self) -> Result<bool, String> {
        let Some(files) = &self.files else {
            return Ok(false);
        };
        let now = (
            modified(&files.jwks),
            files.revoked.as_deref().and_then(modified),
        );
        if *self.seen.lock().unwrap_or_else(|p| p.into_inner()) == now {
            return Ok(false);
        }
        self.load().map(|()| true)
    }

    /// Verifies a compact JWT at `now` (seconds since the epoch) and
    /// returns its claims.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, ApiError> {
        let trust = self.current();
        let known = self
            .remembered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(token)
            .cloned();
        if let Some((kid, claims)) = known {
            if !trust.keys.contains_key(&kid) {
                return Err(bad("unknown key id"));
            }
            self.check_time_and_revocation(&claims, &trust, now)?;
            return Ok(claims);
        }
        let (kid, claims) = self.verify_signed(token, &trust, now)?;
        let mut remembered = self.remembered.lock().unwrap_or_else(|p| p.into_inner());
        if remembered.len() >= REMEMBERED {
            remembered.clear();
        }
        remembered.insert(token.to_string(), (kid, claims.clone()));
        Ok(claims)
    }

    /// The whole check: signature, claims, time, revocation.
    fn verify_signed(
        &self,
        token: &str,
        trust: &Trust,
        now: i64,
    ) -> Result<(String, Claims), ApiError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| bad("not a JWT"))?;
        if !matches!(header.alg, Algorithm::EdDSA | Algorithm::ES256) {
            return Err(bad("the algorithm must be EdDSA or ES256"));
        }
        let kid = header.kid.ok_or_else(|| bad("no key id (`kid`)"))?;
        let (key, algorithm) = trust.keys.get(&kid).ok_or_else(|| bad("unknown key id"))?;
        if *algorithm != header.alg {
            return Err(bad("the algorithm does not match the key"));
        }
        let mut validation = Validation::new(*algorithm);
        // Time is checked below against the server's clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_audience(&[&self.rules.audience]);
        validation.set_issuer(&self.rules.issuers);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                bad(match e.kind() {
                    ErrorKind::InvalidSignature => "bad signature",
                    ErrorKind::InvalidIssuer => "issuer not trusted",
                    ErrorKind::InvalidAudience => "not meant for Probity (audience)",
                    ErrorKind::MissingRequiredClaim(_) => "a required claim is missing",
                    _ => "unreadable or incomplete claims",
                })
            })?
            .claims;
        if claims.sub.is_empty() {
            return Err(bad("no subject"));
        }
        if claims.jti.is_empty() {
            return Err(bad("no token id (`jti`)"));
        }
        self.check_time_and_revocation(&claims, trust, now)?;
        Ok((kid, claims))
    }

    /// What changes with time: the validity window and the lifetime, and
    /// the revocation list.
    fn check_time_and_revocation(
        &self,
        claims: &Claims,
        trust: &Trust,
        now: i64,
    ) -> Result<(), ApiError> {
        let leeway = self.rules.leeway.as_secs() as i64;
        let longest = self.rules.max_lifetime.as_secs() as i64;
        if claims.exp <= now - leeway {
            return Err(bad("expired"));
        }
        if claims.nbf.is_some_and(|nbf| nbf > now + leeway) || claims.iat > now + leeway {
            return Err(bad("not valid yet"));
        }
        if claims.exp - claims.iat > longest || claims.exp - now > longest + leeway {
            return Err(bad("valid for longer than this server allows"));
        }
        if trust.revoked.contains(&claims.jti) {
            return Err(bad("revoked"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn claims() -> Claims {
        Claims::new("clerk", "agency", &["reader"], &["*"], NOW, 3600)
    }

    #[test]
    fn accepts_a_good_token_and_refuses_another_key() {
        let issuer = Issuer::generate();
        let verifier = Verifier::trusting(&issuer, TokenRules::default());
        let claims = claims();
        let token = issuer.sign(&claims);
        assert_eq!(verifier.verify(&token, NOW + 10).unwrap(), claims);
        // Remembered, it is still held to its expiry.
        assert_eq!(verifier.verify(&token, NOW + 20).unwrap(), claims);
        let late = verifier.verify(&token, NOW + 3600 + 61).unwrap_err();
        assert!(late.to_string().contains("expired"), "{late}");
        let stranger = Issuer::generate();
        assert!(verifier.verify(&stranger.sign(&claims), NOW).is_err());
        let mut forged = token.clone();
        forged.replace_range(token.len() - 4.., "AAAA");
        assert!(verifier.verify(&forged, NOW).is_err());
    }

    #[test]
    fn checks_time_issuer_audience_and_lifetime() {
        let issuer = Issuer::generate();
        let verifier = Verifier::trusting(&issuer, TokenRules::default());
        let refuse = |c: Claims, now: i64| {
            let e = verifier.verify(&issuer.sign(&c), now).unwrap_err();
            e.to_string()
        };
        assert!(refuse(claims(), NOW + 3600 + 61).contains("expired"));
        let mut c = claims();
        c.nbf = Some(NOW + 600);
        assert!(refuse(c, NOW).contains("not valid yet"));
        let mut c = claims();
        c.iss = "someone-else".into();
        assert!(refuse(c, NOW).contains("issuer"));
        let mut c = claims();
        c.aud = vec!["another-system".into()];
        assert!(refuse(c, NOW).contains("audience"));
        let c = Claims::new("clerk", "agency", &[], &[], NOW, 13 * 3600);
        assert!(refuse(c, NOW).contains("longer"));
        let mut c = claims();
        c.iat = NOW - 100 * 3600;
        c.exp = NOW + 3600;
        assert!(refuse(c, NOW).contains("longer"), "exp - iat counts");
        let mut c = claims();
        c.jti.clear();
        assert!(refuse(c, NOW).contains("jti"));
    }

    #[test]
    fn refuses_hmac_and_none_whatever_the_header_says() {
        let issuer = Issuer::generate();
        let verifier = Verifier::trusting(&issuer, TokenRules::default());
        let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
        header.kid = Some(issuer.kid().into());
        let hmac = jsonwebtoken::encode(
            &header,
            &claims(),
            &jsonwebtoken::EncodingKey::from_secret(b"a secret of thirty-two bytes ok!"),
        )
        .unwrap();
        assert!(verifier.verify(&hmac, NOW).is_err());
        let none = format!(
            "{}.{}.",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                format!(r#"{{"alg":"none","kid":"{}"}}"#, issuer.kid())
            ),
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                serde_json::to_vec(&claims()).unwrap()
            )
        );
        assert!(verifier.verify(&none, NOW).is_err());
    }

    #[test]
    fn files_rotate_keys_and_revoke_tokens_without_a_restart() {
        let dir = tempdir();
        let old = Issuer::generate();
        let new = Issuer::generate();
        let files = TrustFiles {
            jwks: dir.join("jwks.json"),
            revoked: Some(dir.join("revoked")),
        };
        std::fs::write(&files.jwks, Issuer::jwks([&old])).unwrap();
        let verifier = Verifier::from_files(files.clone(), TokenRules::default()).unwrap();
        let by_new = new.sign(&claims());
        assert!(verifier.verify(&by_new, NOW).is_err());
        assert!(!verifier.reload().unwrap(), "nothing changed");

        // Rotation: the new key is published beside the old one.
        std::fs::write(&files.jwks, Issuer::jwks([&old, &new])).unwrap();
        touch_later(&files.jwks);
        assert!(verifier.reload().unwrap());
        assert!(verifier.verify(&by_new, NOW).is_ok());
        let by_old = old.sign(&claims());
        assert!(verifier.verify(&by_old, NOW).is_ok());

        // Revocation by jti.
        let jti = verifier.verify(&by_old, NOW).unwrap().jti;
        std::fs::write(
            files.revoked.as_ref().unwrap(),
            format!("# leaked\n{jti}\n"),
        )
        .unwrap();
        assert!(verifier.reload().unwrap());
        let refused = verifier.verify(&by_old, NOW).unwrap_err().to_string();
        assert!(refused.contains("revoked"), "{refused}");
        assert!(verifier.verify(&by_new, NOW).is_ok());

        // A broken file keeps the last good keys.
        std::fs::write(&files.jwks, "{").unwrap();
        touch_later(&files.jwks);
        assert!(verifier.reload().is_err());
        assert!(verifier.verify(&by_new, NOW).is_ok());
    }

    #[test]
    fn refuses_keys_of_other_kinds() {
        let hmac = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"k"}]}"#;
        assert!(Verifier::from_jwks(hmac, TokenRules::default()).is_err());
        assert!(Verifier::from_jwks(r#"{"keys":[]}"#, TokenRules::default()).is_err());
    }

    fn tempdir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("probity-verifier-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Moves a file's modification time ahead, so a rewrite within the
    /// same clock tick still counts as a change.
    fn touch_later(path: &std::path::Path) {
        let later = SystemTime::now() + Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(later)
            .unwrap();
    }
}
