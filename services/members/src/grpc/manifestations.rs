//! `probity.members.v1.ManifestationService`: the 27 manifestations and how
//! often the books cite them.

use std::{collections::BTreeMap, sync::Arc};

use probity_platform::{ApiError, Call, Database, unary};
use probity_proto::probity::members::v1::{
    BookEntryKind as Kind, GetManifestationStatisticsRequest, GetManifestationStatisticsResponse,
    ListManifestationsRequest, ListManifestationsResponse, ManifestationCount, ManifestationGroup,
    manifestation_service_server::ManifestationService,
};
use tonic::{Request, Response, Status};

use super::access::year_subtree;
use crate::{
    error::Result,
    rules::{books::is_commitment, manifestations::Catalogue, years::validate_year},
    store::books,
};

/// `ManifestationService` over the catalogue and the books.
#[derive(Debug, Clone)]
pub struct Manifestations {
    db: Database,
    catalogue: Arc<Catalogue>,
}

impl Manifestations {
    /// The service.
    pub fn new(db: Database, catalogue: Arc<Catalogue>) -> Self {
        Self { db, catalogue }
    }

    async fn list(
        &self,
        _call: Call,
        req: ListManifestationsRequest,
    ) -> Result<ListManifestationsResponse> {
        let group = ManifestationGroup::try_from(req.group)
            .map_err(|_| ApiError::invalid("group", "unknown group"))?;
        Ok(ListManifestationsResponse {
            manifestations: self
                .catalogue
                .by_code
                .values()
                .filter(|m| group == ManifestationGroup::Unspecified || m.group == group as i32)
                .cloned()
                .collect(),
            version: self.catalogue.version.clone(),
            source: self.catalogue.source.clone(),
        })
    }

    async fn statistics(
        &self,
        call: Call,
        req: GetManifestationStatisticsRequest,
    ) -> Result<GetManifestationStatisticsResponse> {
        validate_year("year", req.year, call.today())?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let root = year_subtree(
            &mut conn,
            &call,
            "organization",
            &req.organization,
            req.year,
        )
        .await?;
        let mut counts: BTreeMap<String, ManifestationCount> = self
            .catalogue
            .by_code
            .keys()
            .map(|c| {
                (
                    c.clone(),
                    ManifestationCount {
                        code: c.clone(),
                        ..Default::default()
                    },
                )
            })
            .collect();
        if let Some((date, org)) = root {
            for (code, kind, n) in
                books::manifestation_counts(&mut conn, &date, &org.path, req.year).await?
            {
                let kind = Kind::try_from(kind as i32).unwrap_or(Kind::Unspecified);
                if let Some(c) = counts.get_mut(&code) {
                    if kind == Kind::SelfAssessment {
                        c.self_assessments += n;
                    } else if is_commitment(kind) {
                        c.commitments += n;
                    }
                }
            }
        }
        Ok(GetManifestationStatisticsResponse {
            counts: counts.into_values().collect(),
        })
    }
}

#[tonic::async_trait]
impl ManifestationService for Manifestations {
    async fn list_manifestations(
        &self,
        r: Request<ListManifestationsRequest>,
    ) -> Result<Response<ListManifestationsResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn get_manifestation_statistics(
        &self,
        r: Request<GetManifestationStatisticsRequest>,
    ) -> Result<Response<GetManifestationStatisticsResponse>, Status> {
        unary(r, |c, m| self.statistics(c, m)).await
    }
}
