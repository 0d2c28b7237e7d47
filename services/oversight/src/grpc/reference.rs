//! `probity.oversight.v1.ReferenceService`: the sectors and the stage
//! limits, from the data files shipped with the service (and the stage
//! limits recorded since).

use probity_platform::{ApiError, Call, Database, dates, unary};
use probity_proto::probity::oversight::v1::{
    CaseStage, ListSectorsRequest, ListSectorsResponse, ListStageLimitsRequest,
    ListStageLimitsResponse, Sector, StageLimit, reference_service_server::ReferenceService,
};
use tonic::{Request, Response, Status};

use crate::{error::Result, rules::sectors::Sectors, store::limits};

/// `ReferenceService` over one database.
#[derive(Debug, Clone)]
pub struct Reference {
    db: Database,
}

impl Reference {
    /// The service over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    async fn sectors(&self, _call: Call, req: ListSectorsRequest) -> Result<ListSectorsResponse> {
        let file = Sectors::shipped();
        Ok(ListSectorsResponse {
            sectors: file
                .sectors
                .iter()
                .filter(|s| s.prone || !req.prone_only)
                .map(|s| Sector {
                    name: format!("sectors/{}", s.code),
                    display_name: s.name.clone(),
                    english_name: s.english.clone(),
                    prone_to_corruption: s.prone,
                    citation: s.citation.clone(),
                })
                .collect(),
            version: file.version.clone(),
        })
    }

    async fn limits(
        &self,
        _call: Call,
        _req: ListStageLimitsRequest,
    ) -> Result<ListStageLimitsResponse> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let book = limits::book(&mut conn).await?;
        let limits = book
            .0
            .iter()
            .map(|r| {
                Ok(StageLimit {
                    stage: CaseStage::try_from(r.kind as i32).unwrap_or_default() as i32,
                    days: r.value as i32,
                    valid_from: Some(dates::sql_to_proto(&r.valid_from)?),
                    citation: r.citation.clone(),
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(ListStageLimitsResponse { limits })
    }
}

#[tonic::async_trait]
impl ReferenceService for Reference {
    async fn list_sectors(
        &self,
        r: Request<ListSectorsRequest>,
    ) -> Result<Response<ListSectorsResponse>, Status> {
        unary(r, |c, m| self.sectors(c, m)).await
    }
    async fn list_stage_limits(
        &self,
        r: Request<ListStageLimitsRequest>,
    ) -> Result<Response<ListStageLimitsResponse>, Status> {
        unary(r, |c, m| self.limits(c, m)).await
    }
}
