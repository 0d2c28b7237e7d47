//! `probity.study.v1.SupervisionService`: visits by an inspecting
//! organisation to a unit of a plan's scope, with findings.

use std::sync::Arc;

use probity_platform::{
    ApiError, Call, Database, dates,
    pagination::PageRequest,
    resource::{new_id, parse_name},
    unary,
};
use probity_proto::probity::study::v1::{
    CreateSupervisionVisitRequest, GetSupervisionVisitRequest, ListSupervisionVisitsRequest,
    ListSupervisionVisitsResponse, SupervisionVisit,
    supervision_service_server::SupervisionService,
};
use tonic::{Request, Response, Status};

use super::access::{authorize_org, visible_plan};
use crate::{
    error::Result,
    peers::Members,
    rules::supervision as rules,
    store::supervision::{self as store, VisitRow},
};
use probity_members_client::ScopeView;

/// The wire form of a visit.
fn visit(row: &VisitRow) -> Result<SupervisionVisit, ApiError> {
    Ok(SupervisionVisit {
        name: format!("supervisionVisits/{}", row.id),
        plan: format!("plans/{}", row.plan_id),
        inspecting_organization: format!("organizations/{}", row.inspecting_id),
        inspected_organization: format!("organizations/{}", row.inspected_id),
        visit_date: Some(dates::sql_to_proto(&row.visit_date)?),
        findings: row.findings.clone(),
        recommendations: row.recommendations.clone(),
        rating: row.rating as i32,
        create_time: Some(dates::timestamp(row.create_micros)),
    })
}

/// `SupervisionService` over one database and the members service.
#[derive(Clone)]
pub struct Supervision {
    db: Database,
    members: Arc<dyn Members>,
}

impl std::fmt::Debug for Supervision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Supervision")
    }
}

impl Supervision {
    /// The service over `db`, calling `members`.
    pub fn new(db: Database, members: Arc<dyn Members>) -> Self {
        Self { db, members }
    }

    async fn create(
        &self,
        call: Call,
        req: CreateSupervisionVisitRequest,
    ) -> Result<SupervisionVisit> {
        let s = req.visit.clone().unwrap_or_default();
        let view = self.members.scope_view(&call).await?;
        let plan = {
            let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
            visible_plan(&mut conn, &call, &view, "visit.plan", &s.plan).await?
        };
        let new = rules::validate(&s, plan.issue_date, call.today())?;
        let inspecting = self
            .members
            .organization(
                &call,
                "visit.inspecting_organization",
                &s.inspecting_organization,
            )
            .await?;
        let inspected = self
            .members
            .organization(
                &call,
                "visit.inspected_organization",
                &s.inspected_organization,
            )
            .await?;
        rules::check_inspected(
            &s.inspected_organization,
            &inspected.lineage,
            &plan.scope_id,
            &plan.scope(),
        )?;
        call.authorize(inspecting.lineage(), &s.inspecting_organization)?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<SupervisionVisit>()? {
            return Ok(done);
        }
        let row = VisitRow {
            id: new_id(),
            plan_id: plan.id.clone(),
            inspecting_id: inspecting.id,
            inspected_id: inspected.id,
            visit_date: dates::to_sql(new.day),
            findings: new.findings,
            recommendations: new.recommendations,
            rating: new.rating as i64,
            create_micros: call.now_micros(),
        };
        store::insert(w.conn(), &row).await?;
        let created = visit(&row)?;
        w.commit(&created.name, &created).await?;
        Ok(created)
    }

    async fn get(&self, call: Call, req: GetSupervisionVisitRequest) -> Result<SupervisionVisit> {
        let id = parse_name("name", &req.name, "supervisionVisits")?;
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let row = store::load(&mut conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        authorize_visit(&call, &view, &row, &req.name)?;
        Ok(visit(&row)?)
    }

    async fn list(
        &self,
        call: Call,
        req: ListSupervisionVisitsRequest,
    ) -> Result<ListSupervisionVisitsResponse> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let plan = visible_plan(&mut conn, &call, &view, "plan", &req.plan).await?;
        let inspected = if req.inspected_organization.is_empty() {
            String::new()
        } else {
            parse_name(
                "inspected_organization",
                &req.inspected_organization,
                "organizations",
            )?
            .to_string()
        };
        let page = PageRequest::parse(
            &call,
            req.page_size,
            &req.page_token,
            &format!("{};{inspected}", plan.id),
        )?;
        let after = page.after.clone().unwrap_or_default();
        let after = after.split_once('|').unwrap_or(("", ""));
        let rows = store::list(&mut conn, &plan.id, &inspected, after, page.limit()).await?;
        // Visits neither side of which the caller's scope covers are left
        // out after the page is cut (the page may come out shorter).
        let mut visits = rows
            .iter()
            .map(|r| Ok((visible_visit(&view, r), visit(r)?)))
            .collect::<Result<Vec<_>, ApiError>>()?;
        let next_page_token = page.finish(&mut visits, |(_, v)| {
            let d = v.visit_date.unwrap_or_default();
            format!(
                "{:04}-{:02}-{:02}|{}",
                d.year,
                d.month,
                d.day,
                v.name.trim_start_matches("supervisionVisits/")
            )
        });
        Ok(ListSupervisionVisitsResponse {
            visits: visits
                .into_iter()
                .filter_map(|(keep, v)| keep.then_some(v))
                .collect(),
            next_page_token,
        })
    }
}

/// True when the caller's scope covers the inspecting or the inspected
/// organisation of a visit today: its findings and rating are theirs.
fn visible_visit(view: &ScopeView, row: &VisitRow) -> bool {
    view.covers(&row.inspecting_id) || view.covers(&row.inspected_id)
}

/// `NOT_FOUND` for `name` unless [`visible_visit`].
fn authorize_visit(call: &Call, view: &ScopeView, row: &VisitRow, name: &str) -> Result<()> {
    let owner = if view.covers(&row.inspected_id) {
        &row.inspected_id
    } else {
        &row.inspecting_id
    };
    authorize_org(call, view, owner, name)
}

#[tonic::async_trait]
impl SupervisionService for Supervision {
    async fn create_supervision_visit(
        &self,
        r: Request<CreateSupervisionVisitRequest>,
    ) -> Result<Response<SupervisionVisit>, Status> {
        unary(r, |c, m| self.create(c, m)).await
    }
    async fn get_supervision_visit(
        &self,
        r: Request<GetSupervisionVisitRequest>,
    ) -> Result<Response<SupervisionVisit>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_supervision_visits(
        &self,
        r: Request<ListSupervisionVisitsRequest>,
    ) -> Result<Response<ListSupervisionVisitsResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
}
