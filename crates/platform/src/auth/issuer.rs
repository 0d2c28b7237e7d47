//! The private side of tokens: an Ed25519 key that signs them.
//!
//! Only the issuer holds it (`probity token issue`, a test harness, or an
//! agency's own identity provider with its own key); services get the
//! public half as a JWK ([`Issuer::jwk`]) in their JWKS file. The key id
//! (`kid`) is the key's RFC 7638 thumbprint, so it never needs storing.

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::signature::{Ed25519KeyPair, KeyPair};
use sha2::{Digest, Sha256};

use super::Claims;

/// An Ed25519 signing key and its key id.
pub struct Issuer {
    pkcs8: Vec<u8>,
    public: Vec<u8>,
    kid: String,
    encoding: EncodingKey,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Issuer(kid {})", self.kid)
    }
}

impl Clone for Issuer {
    fn clone(&self) -> Self {
        Self::from_pkcs8(self.pkcs8.clone()).unwrap_or_else(|_| unreachable!())
    }
}

const PEM_LABEL: &str = "PRIVATE KEY";

impl Issuer {
    /// A fresh random key.
    pub fn generate() -> Self {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
            .unwrap_or_else(|_| panic!("the system random source failed"));
        Self::from_pkcs8(pkcs8.as_ref().to_vec()).unwrap_or_else(|_| unreachable!())
    }

    fn from_pkcs8(pkcs8: Vec<u8>) -> Result<Self, String> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8)
            .map_err(|_| "not an Ed25519 private key (PKCS#8)".to_string())?;
        let public = pair.public_key().as_ref().to_vec();
        let kid = Self::kid_of(&public);
        let encoding = EncodingKey::from_ed_der(&pkcs8);
        Ok(Self {
            pkcs8,
            public,
            kid,
            encoding,
        })
    }

    /// Reads a key written by [`to_pem`](Self::to_pem) (PKCS#8 PEM, as
    /// `openssl genpkey -algorithm ed25519` writes too).
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        let begin = format!("-----BEGIN {PEM_LABEL}-----");
        let end = format!("-----END {PEM_LABEL}-----");
        let body = pem
            .trim()
            .strip_prefix(&begin)
            .and_then(|rest| rest.strip_suffix(&end))
            .ok_or_else(|| format!("not a PEM `{PEM_LABEL}`"))?;
        let der = STANDARD
            .decode(body.split_whitespace().collect::<String>())
            .map_err(|_| "the PEM body is not base64".to_string())?;
        Self::from_pkcs8(der)
    }

    /// The key as PKCS#8 PEM, for a private key file.
    pub fn to_pem(&self) -> String {
        let body = STANDARD.encode(&self.pkcs8);
        let mut out = format!("-----BEGIN {PEM_LABEL}-----\n");
        for line in body.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(line).unwrap_or_default());
            out.push('\n');
        }
        out.push_str(&format!("-----END {PEM_LABEL}-----\n"));
        out
    }

    /// The key id: the public key's RFC 7638 thumbprint.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key id of a raw Ed25519 public key: the RFC 7638 thumbprint of
    /// its JWK, base64url.
    pub fn kid_of(public_key: &[u8]) -> String {
        let x = URL_SAFE_NO_PAD.encode(public_key);
        // RFC 7638: the members in lexical order, no spaces.
        let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }

    /// The raw 32-byte public key.
    pub fn public_key(&self) -> &[u8] {
        &self.public
    }

    /// A plain Ed25519 signature of `message` (for audit checkpoints; tokens
    /// go through [`sign`](Self::sign)).
    pub fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        Ed25519KeyPair::from_pkcs8_maybe_unchecked(&self.pkcs8)
            .unwrap_or_else(|_| unreachable!("checked when the key was read"))
            .sign(message)
            .as_ref()
            .to_vec()
    }

    /// The public half as a JWK (`kty` OKP, `crv` Ed25519, `alg` EdDSA).
    pub fn jwk(&self) -> serde_json::Value {
        serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(&self.public),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        })
    }

    /// A JWKS document holding the public halves of `issuers`.
    pub fn jwks<'a>(issuers: impl IntoIterator<Item = &'a Issuer>) -> String {
        let keys: Vec<_> = issuers.into_iter().map(Issuer::jwk).collect();
        serde_json::to_string_pretty(&serde_json::json!({ "keys": keys })).unwrap_or_default()
    }

    /// Signs `claims` into a compact JWT (EdDSA) naming this key's id.
    pub fn sign(&self, claims: &Claims) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .unwrap_or_else(|e| panic!("signing with a valid Ed25519 key failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trips_and_keeps_the_key_id() {
        let issuer = Issuer::generate();
        let again = Issuer::from_pem(&issuer.to_pem()).unwrap();
        assert_eq!(again.kid(), issuer.kid());
        assert_ne!(Issuer::generate().kid(), issuer.kid());
        assert!(
            Issuer::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
                .is_err()
        );
        assert!(Issuer::from_pem("hello").is_err());
    }

    #[test]
    fn the_jwk_holds_no_private_part() {
        let jwk = Issuer::generate().jwk();
        assert!(jwk.get("d").is_none());
        assert_eq!(jwk["kty"], "OKP");
    }
}
