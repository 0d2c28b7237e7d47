//! `probity.members.v1.AuditService`: this service's audit log.

use probity_platform::{Call, Database, audit, unary};
use probity_proto::probity::members::v1::{
    ListAuditEntriesRequest, ListAuditEntriesResponse, VerifyAuditChainRequest,
    VerifyAuditChainResponse, audit_service_server::AuditService,
};
use tonic::{Request, Response, Status};

use crate::error::Result;

/// The audit-log service over one database.
#[derive(Debug, Clone)]
pub struct AuditLog {
    db: Database,
}

impl AuditLog {
    /// The service over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    async fn list(
        &self,
        call: Call,
        req: ListAuditEntriesRequest,
    ) -> Result<ListAuditEntriesResponse> {
        let (entries, next_page_token) = audit::list_for(
            &self.db,
            &call,
            &req.resource,
            req.page_size,
            &req.page_token,
        )
        .await?;
        Ok(ListAuditEntriesResponse {
            entries,
            next_page_token,
        })
    }

    async fn verify(
        &self,
        call: Call,
        _req: VerifyAuditChainRequest,
    ) -> Result<VerifyAuditChainResponse> {
        Ok(VerifyAuditChainResponse {
            verification: Some(audit::verify_for(&self.db, &call).await?),
        })
    }
}

#[tonic::async_trait]
impl AuditService for AuditLog {
    async fn list_audit_entries(
        &self,
        r: Request<ListAuditEntriesRequest>,
    ) -> Result<Response<ListAuditEntriesResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn verify_audit_chain(
        &self,
        r: Request<VerifyAuditChainRequest>,
    ) -> Result<Response<VerifyAuditChainResponse>, Status> {
        unary(r, |c, m| self.verify(c, m)).await
    }
}
