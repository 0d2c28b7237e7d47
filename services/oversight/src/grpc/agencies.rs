//! `probity.oversight.v1.AgencyService`: the registry of the agencies that
//! handle cases.

use probity_platform::{
    ApiError, Call, Database, dates,
    pagination::PageRequest,
    resource::{new_id, parse_name},
    unary,
};
use probity_proto::probity::oversight::v1::{
    Agency, AgencyKind, CreateAgencyRequest, ErrorReason, GetAgencyRequest, ListAgenciesRequest,
    ListAgenciesResponse, agency_service_server::AgencyService,
};
use tonic::{Request, Response, Status};

use crate::{
    error::{Error, Result},
    rules::agencies as rules,
    store::agencies::{self as store, AgencyRow},
};

/// The wire form of an agency.
pub fn agency(row: &AgencyRow) -> Agency {
    Agency {
        name: format!("agencies/{}", row.id),
        code: row.code.clone(),
        display_name: row.display_name.clone(),
        kind: row.kind as i32,
        level: row.level as i32,
        create_time: Some(dates::timestamp(row.create_micros)),
    }
}

/// `AgencyService` over one database.
#[derive(Debug, Clone)]
pub struct Agencies {
    db: Database,
}

impl Agencies {
    /// The service over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    async fn create(&self, call: Call, req: CreateAgencyRequest) -> Result<Agency> {
        let new = rules::validate(&req.agency.clone().unwrap_or_default())?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<Agency>()? {
            return Ok(done);
        }
        if store::code_taken(w.conn(), &new.code).await? {
            return Err(Error::taken(
                ErrorReason::AgencyCodeTaken,
                format!("an agency with code {} is already registered", new.code),
            ));
        }
        let row = AgencyRow {
            id: new_id(),
            code: new.code,
            display_name: new.display_name,
            kind: new.kind as i64,
            level: new.level as i64,
            create_micros: call.now_micros(),
        };
        store::insert(w.conn(), &row).await?;
        let created = agency(&row);
        w.commit(&created.name, &created).await?;
        Ok(created)
    }

    async fn get(&self, _call: Call, req: GetAgencyRequest) -> Result<Agency> {
        let id = parse_name("name", &req.name, "agencies")?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let row = store::load(&mut conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        Ok(agency(&row))
    }

    async fn list(&self, call: Call, req: ListAgenciesRequest) -> Result<ListAgenciesResponse> {
        let kind = AgencyKind::try_from(req.kind).unwrap_or(AgencyKind::Unspecified);
        let page = PageRequest::parse(&call, req.page_size, &req.page_token, kind.as_str_name())?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let mut rows = store::list(
            &mut conn,
            kind as i64,
            page.after.as_deref().unwrap_or_default(),
            page.limit(),
        )
        .await?;
        let next_page_token = page.finish(&mut rows, |r| r.code.clone());
        Ok(ListAgenciesResponse {
            agencies: rows.iter().map(agency).collect(),
            next_page_token,
        })
    }
}

#[tonic::async_trait]
impl AgencyService for Agencies {
    async fn create_agency(
        &self,
        r: Request<CreateAgencyRequest>,
    ) -> Result<Response<Agency>, Status> {
        unary(r, |c, m| self.create(c, m)).await
    }
    async fn get_agency(&self, r: Request<GetAgencyRequest>) -> Result<Response<Agency>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_agencies(
        &self,
        r: Request<ListAgenciesRequest>,
    ) -> Result<Response<ListAgenciesResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
}
