//! `probity.reports.v1.ReportDefinitionService`: the shipped definitions.

use probity_platform::{Call, unary};
use probity_proto::probity::reports::v1::{
    ListReportDefinitionsRequest, ListReportDefinitionsResponse,
    report_definition_service_server::ReportDefinitionService,
};
use tonic::{Request, Response, Status};

use crate::{error::Result, rules::definitions::Definitions};

/// `ReportDefinitionService` over the shipped data file.
#[derive(Debug, Clone, Default)]
pub struct DefinitionsApi;

impl DefinitionsApi {
    async fn list(
        &self,
        _call: Call,
        _req: ListReportDefinitionsRequest,
    ) -> Result<ListReportDefinitionsResponse> {
        Ok(ListReportDefinitionsResponse {
            definitions: Definitions::shipped()
                .definitions
                .iter()
                .map(|d| d.to_proto())
                .collect(),
        })
    }
}

#[tonic::async_trait]
impl ReportDefinitionService for DefinitionsApi {
    async fn list_report_definitions(
        &self,
        r: Request<ListReportDefinitionsRequest>,
    ) -> Result<Response<ListReportDefinitionsResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
}
