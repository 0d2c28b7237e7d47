//! What the members service needs from the other services, as interfaces:
//! disciplinary decisions (from `oversight`, [`OversightPeer`] over its
//! gRPC API) and study facts (from `study`, [`StudyPeer`]). Each call is made on behalf
//! of the call being served (the caller's token, request id and deadline).
//! [`NoRecords`] reports nothing — nobody disciplined — and serves the
//! tests that run members alone; a deployment connects oversight, and when
//! oversight cannot be reached a review decision fails with UNAVAILABLE,
//! never "not disciplined".

mod oversight;
mod study;

use std::sync::Arc;

use probity_platform::{ApiError, Call};
use probity_proto::probity::members::v1::EvidenceFact;

pub use oversight::OversightPeer;
pub use study::StudyPeer;

/// Disciplinary decisions on members.
#[tonic::async_trait]
pub trait DisciplineRecords: Send + Sync + 'static {
    /// Decisions on `member` (`members/{id}`) taking effect in `year`, read
    /// for `call`'s caller.
    async fn decisions(
        &self,
        call: &Call,
        member: &str,
        year: i32,
    ) -> Result<Vec<EvidenceFact>, ApiError>;
}

/// Study attendance and learning reports of members.
#[tonic::async_trait]
pub trait StudyRecords: Send + Sync + 'static {
    /// Facts about `member`'s study in `year`, read for `call`'s caller.
    async fn facts(
        &self,
        call: &Call,
        member: &str,
        year: i32,
    ) -> Result<Vec<EvidenceFact>, ApiError>;
}

/// Reports nothing: for members run alone (its own tests).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRecords;

#[tonic::async_trait]
impl DisciplineRecords for NoRecords {
    async fn decisions(
        &self,
        _call: &Call,
        _member: &str,
        _year: i32,
    ) -> Result<Vec<EvidenceFact>, ApiError> {
        Ok(Vec::new())
    }
}

#[tonic::async_trait]
impl StudyRecords for NoRecords {
    async fn facts(
        &self,
        _call: &Call,
        _member: &str,
        _year: i32,
    ) -> Result<Vec<EvidenceFact>, ApiError> {
        Ok(Vec::new())
    }
}

/// The other services, as the members service sees them.
#[derive(Clone)]
pub struct Peers {
    /// Disciplinary decisions.
    pub discipline: Arc<dyn DisciplineRecords>,
    /// Study facts.
    pub study: Arc<dyn StudyRecords>,
}

impl Default for Peers {
    fn default() -> Self {
        Self {
            discipline: Arc::new(NoRecords),
            study: Arc::new(NoRecords),
        }
    }
}

impl std::fmt::Debug for Peers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Peers")
    }
}
