//! `probity.oversight.v1.MonitoringService`: designating a case for
//! monitoring and the monitored cases' lists. Directives and urgings are in
//! `urgings.rs`, escalations and the scan that records them in
//! `escalations.rs` (the same service).

use std::sync::Arc;

use probity_platform::{
    ApiError, Call, Database, dates, pagination::PageRequest, resource::parse_name, unary,
};
use probity_proto::probity::oversight::v1::{
    CreateDirectiveRequest, CreateUrgingRequest, DesignateCaseRequest, Designation, Directive,
    ErrorReason, GetDesignationRequest, ListDirectivesRequest, ListDirectivesResponse,
    ListEscalationsRequest, ListEscalationsResponse, ListMonitoredCasesRequest,
    ListMonitoredCasesResponse, ListUrgingsRequest, ListUrgingsResponse, MonitoringCondition,
    RecordUrgingReplyRequest, Urging, monitoring_service_server::MonitoringService,
};
use tonic::{Request, Response, Status};

use super::{
    access::{authorize_org, visible_case},
    cases::{actor, answer_many, stage_of},
};
use crate::{
    error::{Error, Result},
    peers::Members,
    rules::{monitoring as rules, stages::check_working},
    store::{
        cases::CaseRow,
        monitoring::{self as store, DesignationRow, Which},
    },
};

/// The wire form of a designation, as of `today` (which decides
/// `prolonged`).
fn designation(d: &DesignationRow, case: &CaseRow, today: time::Date) -> Result<Designation> {
    let clock = case.clock()?;
    Ok(Designation {
        name: format!("cases/{}/designation", d.case_id),
        designated_by: d.designated_by as i32,
        decision_number: d.decision_number.clone(),
        decision_date: Some(dates::sql_to_proto(&d.decision_date)?),
        criteria: d
            .criteria
            .split(',')
            .filter_map(|c| c.parse::<i32>().ok())
            .collect(),
        reason: d.reason.clone(),
        prolonged: rules::prolonged(stage_of(case), &clock, today),
        actor: d.actor.clone(),
        create_time: Some(dates::timestamp(d.create_micros)),
    })
}

/// `MonitoringService` over one database and the members service.
#[derive(Clone)]
pub struct Monitoring {
    pub(super) db: Database,
    pub(super) members: Arc<dyn Members>,
}

impl std::fmt::Debug for Monitoring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Monitoring")
    }
}

impl Monitoring {
    /// The service over `db`, calling `members`.
    pub fn new(db: Database, members: Arc<dyn Members>) -> Self {
        Self { db, members }
    }

    async fn designate(&self, call: Call, req: DesignateCaseRequest) -> Result<Designation> {
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let case = visible_case(w.conn(), &call, &view, "parent", &req.parent).await?;
        if let Some(done) = w.replayed::<Designation>()? {
            return Ok(done);
        }
        let stage = stage_of(&case);
        if crate::rules::stages::is_finished(stage) {
            check_working(&req.parent, stage)?;
        }
        let new = rules::validate(&req.designation.clone().unwrap_or_default(), call.today())?;
        if store::load(w.conn(), &case.id).await?.is_some() {
            return Err(Error::state(
                ErrorReason::CaseAlreadyDesignated,
                format!("{} is designated for monitoring already", req.parent),
            ));
        }
        let prolonged = rules::prolonged(stage, &case.clock()?, new.decision_date);
        let criteria = rules::criteria(&new.criteria, prolonged)?;
        let row = DesignationRow {
            case_id: case.id.clone(),
            designated_by: new.body as i64,
            decision_number: new.decision_number,
            decision_date: dates::to_sql(new.decision_date),
            criteria: criteria
                .iter()
                .map(|c| (*c as i32).to_string())
                .collect::<Vec<_>>()
                .join(","),
            reason: new.reason,
            actor: actor(&call),
            create_micros: call.now_micros(),
        };
        store::insert(w.conn(), &row).await?;
        // The scan looks at the case at once (and daily after).
        let key = format!("{}:{}", dates::to_sql(call.today()), case.id);
        w.enqueue(rules::SCAN_JOB, &key, &[], call.now_micros())
            .await?;
        let answered = designation(&row, &case, call.today())?;
        w.commit(&answered.name, &answered).await?;
        Ok(answered)
    }

    async fn get(&self, call: Call, req: GetDesignationRequest) -> Result<Designation> {
        let case_name = req
            .name
            .strip_suffix("/designation")
            .ok_or_else(|| ApiError::invalid("name", "must be `cases/{id}/designation`"))?;
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let case = visible_case(&mut conn, &call, &view, "name", case_name).await?;
        let row = store::load(&mut conn, &case.id)
            .await?
            .ok_or_else(|| ApiError::not_found(&req.name))?;
        designation(&row, &case, call.today())
    }

    async fn list(
        &self,
        call: Call,
        req: ListMonitoredCasesRequest,
    ) -> Result<ListMonitoredCasesResponse> {
        let org_id = parse_name("organization", &req.organization, "organizations")?;
        let view = self.members.scope_view(&call).await?;
        authorize_org(&call, &view, org_id, &req.organization)?;
        let condition = MonitoringCondition::try_from(req.condition).unwrap_or_default();
        let page = PageRequest::parse(
            &call,
            req.page_size,
            &req.page_token,
            &format!("{org_id};{}", condition.as_str_name()),
        )?;
        let after = page.after.clone().unwrap_or_default();
        let (after_key, after_id) = after.split_once('|').unwrap_or(("", ""));
        let today = call.today();
        let from = dates::to_sql(today);
        let to = dates::to_sql(dates::add_days(today, rules::NEAR_DEADLINE_DAYS));
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let stalled = condition == MonitoringCondition::Stalled;
        let mut rows = if stalled {
            let idle_since = call.now_micros() - rules::STALLED_DAYS * 86_400_000_000;
            let after_micros = after_key.parse::<i64>().unwrap_or(i64::MIN);
            store::stalled(
                &mut conn,
                org_id,
                idle_since,
                (after_micros, after_id),
                page.limit(),
            )
            .await?
        } else {
            let which = match condition {
                MonitoringCondition::NearDeadline => Which::DueBetween(&from, &to),
                MonitoringCondition::Overdue => Which::DueBefore(&from),
                _ => Which::All,
            };
            store::by_due(
                &mut conn,
                org_id,
                which,
                (after_key, after_id),
                page.limit(),
            )
            .await?
        };
        let next_page_token = page.finish(&mut rows, |r| {
            if stalled {
                format!("{}|{}", r.update_micros, r.id)
            } else {
                let due = r.extended_due.as_ref().or(r.original_due.as_ref());
                format!("{}|{}", due.map_or("9999-12-31", String::as_str), r.id)
            }
        });
        let visible: Vec<&CaseRow> = rows
            .iter()
            .filter(|r| view.covers(&r.jurisdiction_id))
            .collect();
        let cases = answer_many(&mut conn, &call, &visible).await?;
        Ok(ListMonitoredCasesResponse {
            cases,
            next_page_token,
            near_deadline_days: rules::NEAR_DEADLINE_DAYS as i32,
            stalled_days: rules::STALLED_DAYS as i32,
        })
    }
}

#[tonic::async_trait]
impl MonitoringService for Monitoring {
    async fn designate_case(
        &self,
        r: Request<DesignateCaseRequest>,
    ) -> Result<Response<Designation>, Status> {
        unary(r, |c, m| self.designate(c, m)).await
    }
    async fn get_designation(
        &self,
        r: Request<GetDesignationRequest>,
    ) -> Result<Response<Designation>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_monitored_cases(
        &self,
        r: Request<ListMonitoredCasesRequest>,
    ) -> Result<Response<ListMonitoredCasesResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn create_directive(
        &self,
        r: Request<CreateDirectiveRequest>,
    ) -> Result<Response<Directive>, Status> {
        unary(r, |c, m| self.direct(c, m)).await
    }
    async fn list_directives(
        &self,
        r: Request<ListDirectivesRequest>,
    ) -> Result<Response<ListDirectivesResponse>, Status> {
        unary(r, |c, m| self.directives(c, m)).await
    }
    async fn create_urging(
        &self,
        r: Request<CreateUrgingRequest>,
    ) -> Result<Response<Urging>, Status> {
        unary(r, |c, m| self.urge(c, m)).await
    }
    async fn record_urging_reply(
        &self,
        r: Request<RecordUrgingReplyRequest>,
    ) -> Result<Response<Urging>, Status> {
        unary(r, |c, m| self.reply(c, m)).await
    }
    async fn list_urgings(
        &self,
        r: Request<ListUrgingsRequest>,
    ) -> Result<Response<ListUrgingsResponse>, Status> {
        unary(r, |c, m| self.urgings(c, m)).await
    }
    async fn list_escalations(
        &self,
        r: Request<ListEscalationsRequest>,
    ) -> Result<Response<ListEscalationsResponse>, Status> {
        unary(r, |c, m| self.escalations(c, m)).await
    }
}
