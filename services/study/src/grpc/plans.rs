//! `probity.study.v1.PlanService`: plans and their eligible roster. Progress,
//! absentees and warnings are in [`super::progress`].

use std::sync::Arc;

use probity_platform::{
    ApiError, Call, Database, Violations, dates,
    pagination::PageRequest,
    resource::{check_current_etag, new_id, parse_name},
    unary,
};
use probity_proto::probity::study::v1::{
    AttendanceStatusDefinition, CompletionRule, CreatePlanRequest, GetPlanProgressRequest,
    GetPlanRequest, LearningReportRequirement, ListPlanAbsenteesRequest, ListPlanAbsenteesResponse,
    ListPlanRosterRequest, ListPlanRosterResponse, ListPlanWarningsRequest,
    ListPlanWarningsResponse, ListPlansRequest, ListPlansResponse, Plan, PlanProgress,
    RefreshPlanRosterRequest, UpdatePlanRequest, plan_service_server::PlanService,
};
use sqlx::AnyConnection;
use tonic::{Request, Response, Status};

use super::access::{check_plan_change, check_plan_read, visible_plan};
use crate::{
    error::Result,
    peers::Members,
    rules::{
        plans::{self as rules, Fields, SETTABLE},
        rosters::{Snapshot, scope_tree},
    },
    store::{
        documents,
        plans::{self as store, NewPlanRow, PlanRecord},
        rosters,
    },
};
use probity_members_client::OrgInfo;

/// `PlanService` over one database and the members service.
#[derive(Clone)]
pub struct PlanApi {
    pub(super) db: Database,
    pub(super) members: Arc<dyn Members>,
}

impl std::fmt::Debug for PlanApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlanApi")
    }
}

/// The wire form of a plan.
pub fn plan(p: &PlanRecord) -> Plan {
    let f = &p.fields;
    Plan {
        name: p.name(),
        symbol: p.symbol.clone(),
        issue_date: Some(dates::to_proto(p.issue_date)),
        title: f.title.clone(),
        documents: f
            .documents
            .iter()
            .map(|d| format!("documents/{d}"))
            .collect(),
        scope: p.scope(),
        audience: f.audience.clone(),
        period_start: Some(dates::to_proto(f.period_start)),
        period_end: Some(dates::to_proto(f.period_end)),
        reference_date: Some(dates::to_proto(p.reference_date)),
        learning_report: Some(LearningReportRequirement {
            required: f.report_required,
            due_days: f.report_due_days as i32,
            cutoff_date: f.report_cutoff.map(dates::to_proto),
        }),
        completion_rule: Some(CompletionRule {
            min_counted_classes: f.min_classes as i32,
            report: f.report_condition as i32,
        }),
        attendance_statuses: f
            .statuses
            .iter()
            .map(|s| AttendanceStatusDefinition {
                code: s.code.clone(),
                label: s.label.clone(),
                counts_as_attended: s.attended,
            })
            .collect(),
        unmarked_status: f.unmarked_status.clone(),
        roster_time: (p.roster_micros > 0).then(|| dates::timestamp(p.roster_micros)),
        eligible_members: p.eligible as i32,
        etag: p.etag(),
        create_time: Some(dates::timestamp(p.create_micros)),
        update_time: Some(dates::timestamp(p.update_micros)),
    }
}

/// The plan with id `id` as stored now.
async fn reload(conn: &mut AnyConnection, id: &str) -> Result<PlanRecord> {
    store::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::Internal("plan vanished".into()).into())
}

/// Refuses documents this service does not hold.
async fn check_documents(conn: &mut AnyConnection, ids: &[String]) -> Result<()> {
    let mut v = Violations::new();
    for (i, id) in ids.iter().enumerate() {
        v.check(
            !documents::exists(conn, id).await?,
            &format!("plan.documents[{i}]"),
            "no such document; record it first with CreateDocument",
        );
    }
    Ok(v.into_result()?)
}

impl PlanApi {
    /// The service over `db`, calling `members`.
    pub fn new(db: Database, members: Arc<dyn Members>) -> Self {
        Self { db, members }
    }

    /// The eligible roster of `scope` on `date`: its tree and its members,
    /// exempt members left out, from members.
    async fn snapshot(&self, call: &Call, scope: &OrgInfo, date: time::Date) -> Result<Snapshot> {
        let name = format!("organizations/{}", scope.id);
        let below = self
            .members
            .subtree(call, "plan.scope", &name, date)
            .await?;
        let members = self
            .members
            .roster(call, "plan.scope", &name, date, true)
            .await?;
        Ok(Snapshot {
            orgs: scope_tree(scope, below)?,
            members,
        })
    }

    async fn create(&self, call: Call, req: CreatePlanRequest) -> Result<Plan> {
        let new = rules::validate_new(&req, call.today())?;
        let p = req.plan.clone().unwrap_or_default();
        {
            let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
            check_documents(&mut conn, &new.fields.documents).await?;
        }
        // Members first, outside the transaction.
        let scope = self
            .members
            .organization(&call, "plan.scope", &p.scope)
            .await?;
        call.authorize(scope.lineage(), &p.scope)?;
        if !scope.exists_on(new.reference) {
            return Err(ApiError::invalid(
                "plan.reference_date",
                format!("{} does not exist on {}", p.scope, new.reference),
            )
            .into());
        }
        let snapshot = self.snapshot(&call, &scope, new.reference).await?;

        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<Plan>()? {
            return Ok(done);
        }
        let id = new_id();
        let lineage = scope.lineage_text();
        let row = NewPlanRow {
            id: &id,
            symbol: &new.symbol.canonical,
            issue_date: new.issued,
            scope_id: &scope.id,
            scope_lineage: &lineage,
            reference_date: new.reference,
            eligible: snapshot.members.len() as i64,
        };
        store::insert(w.conn(), &row, &new.fields, call.now_micros()).await?;
        rosters::store(w.conn(), &id, &snapshot).await?;
        let created = plan(&reload(w.conn(), &id).await?);
        w.commit(&created.name, &created).await?;
        self.db.refresh_statistics(rosters::TABLES);
        Ok(created)
    }

    async fn get(&self, call: Call, req: GetPlanRequest) -> Result<Plan> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        Ok(plan(
            &visible_plan(&mut conn, &call, &view, "name", &req.name).await?,
        ))
    }

    async fn list(&self, call: Call, req: ListPlansRequest) -> Result<ListPlansResponse> {
        let scope = rules::validate_list(&req.scope, req.year)?;
        let page = PageRequest::parse(
            &call,
            req.page_size,
            &req.page_token,
            &format!("{scope};{}", req.year),
        )?;
        let after = page.after.clone().unwrap_or_default();
        let after = after.split_once('|').unwrap_or(("9999-12-31", "~"));
        let (from, to) = rules::year_range(req.year);
        let view = self.members.scope_view(&call).await?;
        // Each plan is checked below; the list itself names no owner.
        call.scoped();
        let mut conn = self.db.read_conn(&call).await.map_err(ApiError::from)?;
        let mut rows = store::list(&mut conn, &scope, (&from, &to), after, page.limit()).await?;
        let next_page_token = page.finish(&mut rows, |(id, date)| format!("{date}|{id}"));
        let mut plans = Vec::new();
        // Plans the caller may not read are left out (the page may come out
        // shorter; the token still continues after it).
        for (id, _) in rows {
            if let Some(p) = store::load(&mut conn, &id).await?
                && check_plan_read(&call, &view, &p).is_ok()
            {
                plans.push(plan(&p));
            }
        }
        Ok(ListPlansResponse {
            plans,
            next_page_token,
        })
    }

    async fn update(&self, call: Call, req: UpdatePlanRequest) -> Result<Plan> {
        let p = req.plan.clone().unwrap_or_default();
        let paths = probity_platform::mask::paths(req.update_mask.as_ref(), &SETTABLE, |f| {
            rules::is_set(&p, f)
        })?;
        let id = parse_name("plan.name", &p.name, "plans")?.to_string();
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let current = store::load(w.conn(), &id)
            .await?
            .ok_or_else(|| ApiError::not_found(&p.name))?;
        check_plan_change(&call, &view, &current)?;
        if let Some(done) = w.replayed::<Plan>()? {
            return Ok(done);
        }
        check_current_etag(&p.name, &p.etag, &current.etag())?;
        let mut f: Fields = current.fields.clone();
        let mut v = Violations::new();
        f.apply(&mut v, &p, &paths);
        v.into_result()?;
        check_documents(w.conn(), &f.documents).await?;
        if paths.contains(&"attendance_statuses") && f.statuses != current.fields.statuses {
            let recorded = store::attendance_count(w.conn(), &id).await?;
            rules::check_statuses_frozen(&p.name, true, recorded)?;
        }
        let span = store::class_span(w.conn(), &id).await?;
        rules::check_period_holds_classes(
            &p.name,
            &f,
            span.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
        )?;
        store::update(w.conn(), &id, &f, call.now_micros()).await?;
        let updated = plan(&reload(w.conn(), &id).await?);
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }

    async fn refresh(&self, call: Call, req: RefreshPlanRosterRequest) -> Result<Plan> {
        let view = self.members.scope_view(&call).await?;
        let current = {
            let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
            visible_plan(&mut conn, &call, &view, "name", &req.name).await?
        };
        check_plan_change(&call, &view, &current)?;
        let scope = self
            .members
            .organization(&call, "plan.scope", &current.scope())
            .await?;
        let snapshot = self.snapshot(&call, &scope, current.reference_date).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<Plan>()? {
            return Ok(done);
        }
        let now_record = reload(w.conn(), &current.id).await?;
        check_current_etag(&req.name, &req.etag, &now_record.etag())?;
        rosters::store(w.conn(), &current.id, &snapshot).await?;
        store::roster_taken(
            w.conn(),
            &current.id,
            snapshot.members.len() as i64,
            call.now_micros(),
        )
        .await?;
        let updated = plan(&reload(w.conn(), &current.id).await?);
        w.commit(&updated.name, &updated).await?;
        self.db.refresh_statistics(rosters::TABLES);
        Ok(updated)
    }
}

#[tonic::async_trait]
impl PlanService for PlanApi {
    async fn create_plan(&self, r: Request<CreatePlanRequest>) -> Result<Response<Plan>, Status> {
        unary(r, |c, m| self.create(c, m)).await
    }
    async fn get_plan(&self, r: Request<GetPlanRequest>) -> Result<Response<Plan>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_plans(
        &self,
        r: Request<ListPlansRequest>,
    ) -> Result<Response<ListPlansResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn update_plan(&self, r: Request<UpdatePlanRequest>) -> Result<Response<Plan>, Status> {
        unary(r, |c, m| self.update(c, m)).await
    }
    async fn refresh_plan_roster(
        &self,
        r: Request<RefreshPlanRosterRequest>,
    ) -> Result<Response<Plan>, Status> {
        unary(r, |c, m| self.refresh(c, m)).await
    }
    async fn get_plan_progress(
        &self,
        r: Request<GetPlanProgressRequest>,
    ) -> Result<Response<PlanProgress>, Status> {
        unary(r, |c, m| self.progress(c, m)).await
    }
    async fn list_plan_absentees(
        &self,
        r: Request<ListPlanAbsenteesRequest>,
    ) -> Result<Response<ListPlanAbsenteesResponse>, Status> {
        unary(r, |c, m| self.absentees(c, m)).await
    }
    async fn list_plan_roster(
        &self,
        r: Request<ListPlanRosterRequest>,
    ) -> Result<Response<ListPlanRosterResponse>, Status> {
        unary(r, |c, m| self.roster(c, m)).await
    }
    async fn list_plan_warnings(
        &self,
        r: Request<ListPlanWarningsRequest>,
    ) -> Result<Response<ListPlanWarningsResponse>, Status> {
        unary(r, |c, m| self.warnings(c, m)).await
    }
}
