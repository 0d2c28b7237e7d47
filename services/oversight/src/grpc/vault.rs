//! The identity vault as the handlers use it: the key ring that seals
//! reporters' identities, the Argon2id hasher of receipt codes (run off
//! the async threads, at most [`HASHING_AT_ONCE`] at a time, so a burst of
//! code checks cannot take the server's cores or memory), and the count of
//! attempts per code.

use std::sync::Arc;

use probity_platform::{
    ApiError,
    vault::{Attempts, KeyRing, Receipt, ReceiptHasher},
};
use probity_proto::probity::oversight::v1::ReporterIdentity;
use prost::Message;

use crate::error::Result;

/// Argon2id hashes computed at once; more wait their turn.
pub const HASHING_AT_ONCE: usize = 2;

/// The vault's keys and the receipt hasher, shared by the handlers.
#[derive(Clone, Debug)]
pub struct Vault {
    keys: KeyRing,
    hasher: ReceiptHasher,
    attempts: Arc<Attempts>,
    hashing: Arc<tokio::sync::Semaphore>,
}

impl Vault {
    /// The vault over `keys`, hashing receipt codes with `hasher`.
    pub fn new(keys: KeyRing, hasher: ReceiptHasher) -> Self {
        Self {
            keys,
            hasher,
            attempts: Arc::new(Attempts::default()),
            hashing: Arc::new(tokio::sync::Semaphore::new(HASHING_AT_ONCE)),
        }
    }

    /// The key ring.
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// Runs `f` on a blocking thread, within the hashing bound.
    async fn hashing<T: Send + 'static>(
        &self,
        f: impl FnOnce(ReceiptHasher) -> T + Send + 'static,
    ) -> Result<T> {
        let _turn = self
            .hashing
            .acquire()
            .await
            .map_err(|_| ApiError::Unavailable("the server is stopping".into()))?;
        let hasher = self.hasher.clone();
        Ok(tokio::task::spawn_blocking(move || f(hasher))
            .await
            .map_err(|e| ApiError::Internal(format!("receipt hashing: {e}")))?)
    }

    /// A fresh receipt code and its hash.
    pub async fn issue(&self) -> Result<Receipt> {
        self.hashing(|h| h.issue()).await
    }

    /// Whether `code` matches `stored` (`None`: no such locator, checked
    /// against a dummy at the same cost).
    pub async fn verify(&self, code: String, stored: Option<String>) -> Result<bool> {
        self.hashing(move |h| h.verify(&code, stored.as_deref()))
            .await
    }

    /// Takes an attempt for `locator`: `RESOURCE_EXHAUSTED` past the limit,
    /// alike for known and unknown codes.
    pub fn attempt(&self, locator: &str) -> Result<()> {
        self.attempts
            .take(locator)
            .map_err(|wait| ApiError::RateLimited("receipt code", wait).into())
    }

    /// The identity sealed as the record `resource`.
    pub fn seal(
        &self,
        resource: &str,
        identity: &ReporterIdentity,
    ) -> probity_platform::vault::Sealed {
        self.keys.seal(resource, &identity.encode_to_vec())
    }

    /// The identity sealed as `sealed` for the record `resource`.
    pub fn open(
        &self,
        resource: &str,
        sealed: &probity_platform::vault::Sealed,
    ) -> Result<ReporterIdentity> {
        let bytes = self.keys.open(resource, sealed).map_err(|e| {
            // An operations fault (a key left the file too early, a row
            // altered), never the caller's: logged without any content.
            tracing::error!(resource, error = %e, "a sealed identity does not open");
            ApiError::Internal(format!(
                "the sealed identity of {resource} does not open: {e}"
            ))
        })?;
        ReporterIdentity::decode(bytes.as_slice())
            .map_err(|e| ApiError::Internal(format!("sealed identity: {e}")).into())
    }
}
