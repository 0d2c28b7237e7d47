//! `probity.oversight.v1.RecommendationService`: recommendations of the
//! State Audit, inspections and central delegations, their progress, their
//! verified closure and the implementation rates.

use std::sync::Arc;

use probity_platform::{
    ApiError, Call, Database, Violations, dates,
    pagination::PageRequest,
    resource::{check_current_etag, etag, new_id, parse_name},
    unary,
};
use probity_proto::probity::oversight::v1::{
    CloseRecommendationRequest, CreateRecommendationRequest, GetImplementationRateRequest,
    GetImplementationRateResponse, GetRecommendationRequest, ImplementationFigure,
    ListRecommendationsRequest, ListRecommendationsResponse, Recommendation, RecommendationKind,
    RecommendationSource, RecommendationStatus, ReportRecommendationProgressRequest, SourceRate,
    recommendation_service_server::RecommendationService,
};
use sqlx::AnyConnection;
use time::Date;
use tonic::{Request, Response, Status};

use super::{access::authorize_org, cases::actor};
use crate::{
    error::Result,
    peers::{Members, ScopeView},
    rules::recommendations::{self as rules, Counted},
    store::{
        agencies,
        recommendations::{self as store, Filter, RecommendationRow},
    },
};

/// The stored status of a recommendation.
fn status_of(row: &RecommendationRow) -> RecommendationStatus {
    RecommendationStatus::try_from(row.status as i32).unwrap_or_default()
}

/// The wire form of a recommendation as of `today`.
fn recommendation(row: &RecommendationRow, today: Date) -> Result<Recommendation, ApiError> {
    let due = dates::from_sql(&row.due_date)?;
    Ok(Recommendation {
        name: format!("recommendations/{}", row.id),
        source: row.source as i32,
        source_document: row.source_document.clone(),
        source_date: Some(dates::sql_to_proto(&row.source_date)?),
        organization: format!("organizations/{}", row.org_id),
        addressee_agency: if row.agency_id.is_empty() {
            String::new()
        } else {
            format!("agencies/{}", row.agency_id)
        },
        responsible_person: row.responsible_person.clone(),
        kind: row.kind as i32,
        content: row.content.clone(),
        recommended_vnd: row.recommended_vnd,
        implemented_vnd: row.implemented_vnd,
        due_date: Some(dates::to_proto(due)),
        priority: row.priority != 0,
        action_plan: row.action_plan.clone(),
        status: row.status as i32,
        overdue: !rules::is_closed(status_of(row)) && today > due,
        reported_by: if row.reporter_subject.is_empty() {
            String::new()
        } else {
            format!("{} ({})", row.reporter_subject, row.reporter_agency)
        },
        evidence: row.evidence.clone(),
        verified_by: row.verified_by.clone(),
        close_date: row
            .close_date
            .as_deref()
            .map(dates::sql_to_proto)
            .transpose()?,
        etag: etag(row.revision),
        create_time: Some(dates::timestamp(row.create_micros)),
    })
}

/// Loads the recommendation named `name` whose organisation the caller's
/// scope covers today: `NOT_FOUND` otherwise.
pub(super) async fn visible_recommendation(
    conn: &mut AnyConnection,
    call: &Call,
    view: &ScopeView,
    name: &str,
) -> Result<RecommendationRow> {
    let id = parse_name("name", name, "recommendations")?;
    let row = store::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(name))?;
    authorize_org(call, view, &row.org_id, name)?;
    Ok(row)
}

/// A figure of the rate.
fn figure(numerator: i64, denominator: i64, percent: String) -> Option<ImplementationFigure> {
    Some(ImplementationFigure {
        numerator,
        denominator,
        percent,
    })
}

/// `RecommendationService` over one database and the members service.
#[derive(Clone)]
pub struct Recommendations {
    db: Database,
    members: Arc<dyn Members>,
}

impl std::fmt::Debug for Recommendations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Recommendations")
    }
}

impl Recommendations {
    /// The service over `db`, calling `members`.
    pub fn new(db: Database, members: Arc<dyn Members>) -> Self {
        Self { db, members }
    }

    async fn create(&self, call: Call, req: CreateRecommendationRequest) -> Result<Recommendation> {
        let given = req.recommendation.clone().unwrap_or_default();
        let new = rules::validate(&given, call.today())?;
        let view = self.members.scope_view(&call).await?;
        let org = self
            .members
            .organization(&call, "recommendation.organization", &given.organization)
            .await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        authorize_org(&call, &view, &org.id, &given.organization)?;
        if let Some(done) = w.replayed::<Recommendation>()? {
            return Ok(done);
        }
        if !new.agency_id.is_empty() && agencies::load(w.conn(), &new.agency_id).await?.is_none() {
            return Err(ApiError::invalid(
                "recommendation.addressee_agency",
                format!("{} is not registered", given.addressee_agency),
            )
            .into());
        }
        let row = RecommendationRow {
            id: new_id(),
            source: new.source as i64,
            source_document: new.source_document,
            source_date: dates::to_sql(new.source_date),
            org_id: org.id.clone(),
            org_lineage: org.lineage_text(),
            agency_id: new.agency_id,
            responsible_person: new.responsible_person,
            kind: new.kind as i64,
            content: new.content,
            recommended_vnd: new.recommended_vnd,
            implemented_vnd: 0,
            due_date: dates::to_sql(new.due),
            priority: i64::from(new.priority),
            action_plan: String::new(),
            status: RecommendationStatus::Open as i64,
            reporter_subject: String::new(),
            reporter_agency: String::new(),
            evidence: String::new(),
            verified_by: String::new(),
            close_date: None,
            revision: 1,
            create_micros: call.now_micros(),
        };
        store::insert(w.conn(), &row).await?;
        let created = recommendation(&row, call.today())?;
        w.commit(&created.name, &created).await?;
        Ok(created)
    }

    async fn get(&self, call: Call, req: GetRecommendationRequest) -> Result<Recommendation> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let row = visible_recommendation(&mut conn, &call, &view, &req.name).await?;
        Ok(recommendation(&row, call.today())?)
    }

    async fn list(
        &self,
        call: Call,
        req: ListRecommendationsRequest,
    ) -> Result<ListRecommendationsResponse> {
        let org_id = parse_name("organization", &req.organization, "organizations")?;
        let view = self.members.scope_view(&call).await?;
        authorize_org(&call, &view, org_id, &req.organization)?;
        let today = dates::to_sql(call.today());
        let filter = Filter {
            org_id,
            status: i64::from(req.status),
            overdue_before: if req.overdue_only { &today } else { "" },
            pending: (
                RecommendationStatus::Open as i64,
                RecommendationStatus::InProgress as i64,
            ),
        };
        let page = PageRequest::parse(
            &call,
            req.page_size,
            &req.page_token,
            &format!("{org_id};{};{}", req.status, req.overdue_only),
        )?;
        let after = page.after.clone().unwrap_or_default();
        let after = after.split_once('|').unwrap_or(("", ""));
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let mut rows = store::list(&mut conn, &filter, after, page.limit()).await?;
        let next_page_token = page.finish(&mut rows, |r| format!("{}|{}", r.due_date, r.id));
        Ok(ListRecommendationsResponse {
            recommendations: rows
                .iter()
                .filter(|r| view.covers(&r.org_id))
                .map(|r| recommendation(r, call.today()))
                .collect::<Result<_, ApiError>>()?,
            next_page_token,
        })
    }

    async fn report(
        &self,
        call: Call,
        req: ReportRecommendationProgressRequest,
    ) -> Result<Recommendation> {
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let mut row = visible_recommendation(w.conn(), &call, &view, &req.name).await?;
        if let Some(done) = w.replayed::<Recommendation>()? {
            return Ok(done);
        }
        check_current_etag(&req.name, &req.etag, &etag(row.revision))?;
        rules::check_open(&req.name, status_of(&row))?;
        row.action_plan = rules::progress(
            &req.action_plan,
            req.implemented_vnd,
            row.implemented_vnd,
            row.recommended_vnd,
        )?;
        row.implemented_vnd = req.implemented_vnd;
        row.status = RecommendationStatus::InProgress as i64;
        row.reporter_subject = call.caller.subject.clone();
        row.reporter_agency = call.caller.agency.clone();
        store::save(w.conn(), &row).await?;
        row.revision += 1;
        let answered = recommendation(&row, call.today())?;
        w.commit(&answered.name, &answered).await?;
        Ok(answered)
    }

    async fn close(&self, call: Call, req: CloseRecommendationRequest) -> Result<Recommendation> {
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let mut row = visible_recommendation(w.conn(), &call, &view, &req.name).await?;
        if let Some(done) = w.replayed::<Recommendation>()? {
            return Ok(done);
        }
        check_current_etag(&req.name, &req.etag, &etag(row.revision))?;
        rules::check_open(&req.name, status_of(&row))?;
        let addressee = if row.agency_id.is_empty() {
            None
        } else {
            agencies::load(w.conn(), &row.agency_id)
                .await?
                .map(|a| a.code)
        };
        let (outcome, evidence) = rules::closure(
            &req.name,
            req.outcome,
            &req.evidence,
            &call.caller.agency,
            &row.reporter_agency,
            addressee.as_deref(),
        )?;
        row.status = outcome as i64;
        row.evidence = evidence;
        row.verified_by = actor(&call);
        row.close_date = Some(dates::to_sql(call.today()));
        store::save(w.conn(), &row).await?;
        row.revision += 1;
        let answered = recommendation(&row, call.today())?;
        w.commit(&answered.name, &answered).await?;
        Ok(answered)
    }

    async fn rate(
        &self,
        call: Call,
        req: GetImplementationRateRequest,
    ) -> Result<GetImplementationRateResponse> {
        let org_id = parse_name("organization", &req.organization, "organizations")?;
        let mut v = Violations::new();
        let from = dates::required("from_date", req.from_date.as_ref());
        let to = dates::required("to_date", req.to_date.as_ref());
        let (from, to) = match (from, to) {
            (Ok(f), Ok(t)) if t >= f => (f, t),
            (Ok(_), Ok(_)) => {
                v.add("to_date", "must not be before from_date");
                (Date::MIN, Date::MIN)
            }
            (f, t) => {
                for e in [f.err(), t.err()].into_iter().flatten() {
                    v.add(e.field, e.description);
                }
                (Date::MIN, Date::MIN)
            }
        };
        v.into_result()?;
        let view = self.members.scope_view(&call).await?;
        authorize_org(&call, &view, org_id, &req.organization)?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let rows = store::due_between(
            &mut conn,
            org_id,
            (&dates::to_sql(from), &dates::to_sql(to)),
        )
        .await?;
        let counted: Vec<Counted> = rows
            .iter()
            .filter(|r| view.covers(&r.org_id))
            .map(|r| Counted {
                source: RecommendationSource::try_from(r.source as i32).unwrap_or_default(),
                status: status_of(r),
                kind: RecommendationKind::try_from(r.kind as i32).unwrap_or_default(),
                recommended: r.recommended_vnd,
                implemented: r.implemented_vnd,
            })
            .collect();
        Ok(GetImplementationRateResponse {
            rates: rules::rates(&counted)
                .into_iter()
                .map(|(source, r)| SourceRate {
                    source: source as i32,
                    due: r.due,
                    implemented: r.implemented,
                    partly_implemented: r.partly,
                    pending: r.pending,
                    by_count: figure(r.implemented, r.due, r.count_percent()),
                    by_amount: figure(
                        r.amount_implemented,
                        r.amount_recommended,
                        r.amount_percent(),
                    ),
                })
                .collect(),
            formula: rules::FORMULA.to_string(),
        })
    }
}

#[tonic::async_trait]
impl RecommendationService for Recommendations {
    async fn create_recommendation(
        &self,
        r: Request<CreateRecommendationRequest>,
    ) -> Result<Response<Recommendation>, Status> {
        unary(r, |c, m| self.create(c, m)).await
    }
    async fn get_recommendation(
        &self,
        r: Request<GetRecommendationRequest>,
    ) -> Result<Response<Recommendation>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_recommendations(
        &self,
        r: Request<ListRecommendationsRequest>,
    ) -> Result<Response<ListRecommendationsResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn report_recommendation_progress(
        &self,
        r: Request<ReportRecommendationProgressRequest>,
    ) -> Result<Response<Recommendation>, Status> {
        unary(r, |c, m| self.report(c, m)).await
    }
    async fn close_recommendation(
        &self,
        r: Request<CloseRecommendationRequest>,
    ) -> Result<Response<Recommendation>, Status> {
        unary(r, |c, m| self.close(c, m)).await
    }
    async fn get_implementation_rate(
        &self,
        r: Request<GetImplementationRateRequest>,
    ) -> Result<Response<GetImplementationRateResponse>, Status> {
        unary(r, |c, m| self.rate(c, m)).await
    }
}
