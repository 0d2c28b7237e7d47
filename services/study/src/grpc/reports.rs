//! `probity.study.v1.LearningReportService`: learning reports (bản thu
//! hoạch), their due dates, extensions, evaluation and reopening.

use probity_platform::{
    ApiError, Call, Database, Violations, dates,
    pagination::PageRequest,
    resource::{check_current_etag, etag, new_id, parse_name},
    unary,
};
use probity_proto::probity::study::v1::{
    ErrorReason, EvaluateLearningReportRequest, GetLearningReportRequest,
    GrantReportExtensionRequest, LearningReport, LearningReportState, ListLearningReportsRequest,
    ListLearningReportsResponse, ReopenLearningReportRequest, ReportExtension,
    SubmitLearningReportRequest, learning_report_service_server::LearningReportService,
};
use std::sync::Arc;

use sqlx::AnyConnection;
use tonic::{Request, Response, Status};

use super::{
    access::{authorize_org, owner_of, visible_class, visible_plan},
    classes::plan_of,
};
use crate::{
    error::{Error, Result},
    peers::Members,
    rules::reports as rules,
    store::{
        attendance,
        classes::{self, ClassRecord},
        plans::PlanRecord,
        reports::{self as store, Evaluated, ReportRow, Submitted},
    },
};
use probity_members_client::ScopeView;

/// The wire form of a report.
fn report(row: &ReportRow) -> Result<LearningReport, ApiError> {
    Ok(LearningReport {
        name: format!("learningReports/{}", row.id),
        study_class: format!("classes/{}", row.class_id),
        plan: format!("plans/{}", row.plan_id),
        member: format!("members/{}", row.member_id),
        content: row.content.clone(),
        submitted_on: Some(dates::sql_to_proto(&row.submitted_on)?),
        due_date: Some(dates::sql_to_proto(&row.due_date)?),
        late: row.late != 0,
        state: row.state as i32,
        grade: row.grade as i32,
        comments: row.comments.clone(),
        evaluator: row.evaluator.clone(),
        evaluated_on: row
            .evaluated_on
            .as_deref()
            .map(dates::sql_to_proto)
            .transpose()?,
        etag: etag(row.revision),
        create_time: Some(dates::timestamp(row.create_micros)),
        update_time: Some(dates::timestamp(row.update_micros)),
        reopen_reason: row.reopen_reason.clone(),
    })
}

/// The report with id `id` on the wire.
async fn reload(conn: &mut AnyConnection, id: &str) -> Result<LearningReport> {
    let row = store::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::Internal("report vanished".into()))?;
    Ok(report(&row)?)
}

/// The due date of `member_id`'s report about `class`, and whether an
/// extension set it.
async fn due_date(
    conn: &mut AnyConnection,
    plan: &PlanRecord,
    class: &ClassRecord,
    member_id: &str,
) -> Result<(time::Date, bool)> {
    let extension = store::extension(conn, &class.id, member_id).await?;
    Ok(rules::due_date(
        class.class_date,
        plan.fields.report_due_days,
        extension,
    ))
}

/// Refuses unless `member_id` attended `class`.
async fn check_attended(
    conn: &mut AnyConnection,
    class: &ClassRecord,
    member_id: &str,
) -> Result<()> {
    let row = attendance::record(conn, &class.id, member_id).await?;
    rules::check_attended(
        &format!("members/{member_id}"),
        &class.name(),
        row.as_ref().map(|r| (r.status.as_str(), r.attended == 1)),
    )
}

/// `LearningReportService` over one database.
#[derive(Clone)]
pub struct Reports {
    db: Database,
    members: Arc<dyn Members>,
}

impl Reports {
    /// The service over `db`; `members` tells what a caller's scope covers.
    pub fn new(db: Database, members: Arc<dyn Members>) -> Self {
        Self { db, members }
    }

    /// The class (visible and writable for the caller) and its plan, which
    /// must ask for learning reports.
    async fn class_and_plan(
        conn: &mut AnyConnection,
        call: &Call,
        view: &ScopeView,
        name: &str,
    ) -> Result<(ClassRecord, PlanRecord)> {
        let class = visible_class(conn, call, view, "study_class", name).await?;
        let plan = plan_of(conn, &class).await?;
        if !plan.fields.report_required {
            return Err(Error::state(
                ErrorReason::ReportsNotRequired,
                format!("{} does not ask for learning reports", plan.name()),
            ));
        }
        Ok((class, plan))
    }

    /// The report named `name`, visible to the caller, with its class.
    async fn visible(
        conn: &mut AnyConnection,
        call: &Call,
        view: &ScopeView,
        name: &str,
    ) -> Result<(ReportRow, ClassRecord)> {
        let id = parse_name("name", name, "learningReports")?;
        let row = store::load(conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found(name))?;
        let class = classes::load(conn, &row.class_id)
            .await?
            .ok_or_else(|| ApiError::Internal("report without class".into()))?;
        authorize_org(call, view, &class.org_id, name)?;
        Ok((row, class))
    }

    async fn submit(&self, call: Call, req: SubmitLearningReportRequest) -> Result<LearningReport> {
        let s = rules::validate_submission(
            &req.member,
            &req.content,
            req.submitted_on.as_ref(),
            call.today(),
        )?;
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let (class, plan) = Self::class_and_plan(w.conn(), &call, &view, &req.study_class).await?;
        if let Some(done) = w.replayed::<LearningReport>()? {
            return Ok(done);
        }
        rules::check_after_class(s.submitted, class.class_date)?;
        check_attended(w.conn(), &class, &s.member_id).await?;
        let (due, extended) = due_date(w.conn(), &plan, &class, &s.member_id).await?;
        rules::check_cutoff(
            &plan.name(),
            plan.fields.report_cutoff,
            s.submitted,
            due,
            extended,
        )?;
        let submitted = Submitted {
            content: &s.content,
            on: s.submitted,
            due,
            late: s.submitted > due,
        };
        let now = call.now_micros();
        let existing = store::load_for(w.conn(), &class.id, &s.member_id).await?;
        let reopened = rules::resubmission(
            &req.member,
            &req.study_class,
            existing.as_ref().map(|r| (r.id.as_str(), r.state())),
        )?;
        let id = match reopened {
            Some(id) => {
                store::resubmit(w.conn(), id, &submitted, now).await?;
                id.to_string()
            }
            None => {
                let id = new_id();
                store::insert(
                    w.conn(),
                    &id,
                    (&plan.id, &class.id, &s.member_id),
                    &submitted,
                    now,
                )
                .await?;
                id
            }
        };
        let report = reload(w.conn(), &id).await?;
        w.commit(&report.name, &report).await?;
        Ok(report)
    }

    async fn get(&self, call: Call, req: GetLearningReportRequest) -> Result<LearningReport> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        Ok(report(
            &Self::visible(&mut conn, &call, &view, &req.name).await?.0,
        )?)
    }

    async fn list(
        &self,
        call: Call,
        req: ListLearningReportsRequest,
    ) -> Result<ListLearningReportsResponse> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let (plan_id, class_id) = if !req.study_class.is_empty() {
            let class =
                visible_class(&mut conn, &call, &view, "study_class", &req.study_class).await?;
            (class.plan_id.clone(), class.id.clone())
        } else if !req.plan.is_empty() {
            let plan = visible_plan(&mut conn, &call, &view, "plan", &req.plan).await?;
            (plan.id.clone(), String::new())
        } else {
            return Err(ApiError::invalid("plan", "set plan or study_class").into());
        };
        let state = LearningReportState::try_from(req.state)
            .map_err(|_| ApiError::invalid("state", "unknown state"))?;
        let page = PageRequest::parse(
            &call,
            req.page_size,
            &req.page_token,
            &format!("{plan_id};{class_id};{}", state as i32),
        )?;
        let mut rows = store::list(
            &mut conn,
            &plan_id,
            &class_id,
            state,
            page.after.as_deref().unwrap_or(""),
            page.limit(),
        )
        .await?;
        let next_page_token = page.finish(&mut rows, |r| r.report.id.clone());
        // Reports of classes outside the caller's scope are left out.
        let mut reports = Vec::with_capacity(rows.len());
        for row in &rows {
            if view.covers(owner_of(&row.org_lineage)) {
                reports.push(report(&row.report)?);
            }
        }
        Ok(ListLearningReportsResponse {
            reports,
            next_page_token,
        })
    }

    async fn evaluate(
        &self,
        call: Call,
        req: EvaluateLearningReportRequest,
    ) -> Result<LearningReport> {
        let e = rules::validate_evaluation(
            req.grade,
            &req.comments,
            req.evaluated_on.as_ref(),
            call.today(),
        )?;
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let (current, _) = Self::visible(w.conn(), &call, &view, &req.name).await?;
        if let Some(done) = w.replayed::<LearningReport>()? {
            return Ok(done);
        }
        check_current_etag(&req.name, &req.etag, &etag(current.revision))?;
        let submitted = dates::from_sql(&current.submitted_on)?;
        rules::check_evaluable(&req.name, current.state(), submitted, e.day)?;
        let evaluated = Evaluated {
            state: e.state(),
            grade: e.grade,
            comments: &e.comments,
            evaluator: &call.caller.subject,
            on: e.day,
        };
        store::evaluate(w.conn(), &current.id, &evaluated, call.now_micros()).await?;
        let updated = reload(w.conn(), &current.id).await?;
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }

    async fn extend(
        &self,
        call: Call,
        req: GrantReportExtensionRequest,
    ) -> Result<ReportExtension> {
        let x = rules::validate_extension(&req.member, &req.reason, req.due_date.as_ref())?;
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let (class, plan) = Self::class_and_plan(w.conn(), &call, &view, &req.study_class).await?;
        if let Some(done) = w.replayed::<ReportExtension>()? {
            return Ok(done);
        }
        check_attended(w.conn(), &class, &x.member_id).await?;
        let (current, _) = due_date(w.conn(), &plan, &class, &x.member_id).await?;
        rules::check_extends(x.due, current)?;
        let now = call.now_micros();
        store::extend(
            w.conn(),
            (&class.id, &x.member_id),
            x.due,
            &x.reason,
            &call.caller.subject,
            now,
        )
        .await?;
        let extension = ReportExtension {
            study_class: class.name(),
            member: format!("members/{}", x.member_id),
            due_date: Some(dates::to_proto(x.due)),
            reason: x.reason,
            granted_by: call.caller.subject.clone(),
            create_time: Some(dates::timestamp(now)),
        };
        w.commit(
            &format!("{}/reportExtensions/{}", class.name(), x.member_id),
            &extension,
        )
        .await?;
        Ok(extension)
    }

    async fn reopen(&self, call: Call, req: ReopenLearningReportRequest) -> Result<LearningReport> {
        let mut v = Violations::new();
        let why = rules::reason(&mut v, &req.reason);
        v.into_result()?;
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let (current, _) = Self::visible(w.conn(), &call, &view, &req.name).await?;
        if let Some(done) = w.replayed::<LearningReport>()? {
            return Ok(done);
        }
        check_current_etag(&req.name, &req.etag, &etag(current.revision))?;
        rules::check_reopenable(&req.name, current.state())?;
        store::reopen(w.conn(), &current.id, &why, call.now_micros()).await?;
        let updated = reload(w.conn(), &current.id).await?;
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }
}

#[tonic::async_trait]
impl LearningReportService for Reports {
    async fn submit_learning_report(
        &self,
        r: Request<SubmitLearningReportRequest>,
    ) -> Result<Response<LearningReport>, Status> {
        unary(r, |c, m| self.submit(c, m)).await
    }
    async fn get_learning_report(
        &self,
        r: Request<GetLearningReportRequest>,
    ) -> Result<Response<LearningReport>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_learning_reports(
        &self,
        r: Request<ListLearningReportsRequest>,
    ) -> Result<Response<ListLearningReportsResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn evaluate_learning_report(
        &self,
        r: Request<EvaluateLearningReportRequest>,
    ) -> Result<Response<LearningReport>, Status> {
        unary(r, |c, m| self.evaluate(c, m)).await
    }
    async fn grant_report_extension(
        &self,
        r: Request<GrantReportExtensionRequest>,
    ) -> Result<Response<ReportExtension>, Status> {
        unary(r, |c, m| self.extend(c, m)).await
    }
    async fn reopen_learning_report(
        &self,
        r: Request<ReopenLearningReportRequest>,
    ) -> Result<Response<LearningReport>, Status> {
        unary(r, |c, m| self.reopen(c, m)).await
    }
}
