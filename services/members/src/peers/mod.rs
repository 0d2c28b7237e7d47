//! What the members service needs from the other services, as interfaces:
//! disciplinary decisions (from `oversight`) and study facts (from
//! `study`). Until those services exist the defaults report nothing —
//! nobody is disciplined — and the gRPC clients will implement these traits.

use std::sync::Arc;

use probity_platform::ApiError;
use probity_proto::probity::members::v1::EvidenceFact;

/// Disciplinary decisions on members.
#[tonic::async_trait]
pub trait DisciplineRecords: Send + Sync + 'static {
    /// Decisions on `member` (`members/{id}`) taking effect in `year`.
    async fn decisions(&self, member: &str, year: i32) -> Result<Vec<EvidenceFact>, ApiError>;
}

/// Study attendance and learning reports of members.
#[tonic::async_trait]
pub trait StudyRecords: Send + Sync + 'static {
    /// Facts about `member`'s study in `year`.
    async fn facts(&self, member: &str, year: i32) -> Result<Vec<EvidenceFact>, ApiError>;
}

/// Reports nothing: used until the other service is connected.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRecords;

#[tonic::async_trait]
impl DisciplineRecords for NoRecords {
    async fn decisions(&self, _member: &str, _year: i32) -> Result<Vec<EvidenceFact>, ApiError> {
        Ok(Vec::new())
    }
}

#[tonic::async_trait]
impl StudyRecords for NoRecords {
    async fn facts(&self, _member: &str, _year: i32) -> Result<Vec<EvidenceFact>, ApiError> {
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
