//! `probity.study.v1.LearningReportService`: learning reports (bản thu
//! hoạch), their due dates, extensions, evaluation and reopening.

use probity_platform::{
    ApiError, Call, Database, Violations, dates,
    pagination::PageRequest,
    resource::{check_current_etag, etag, new_id, parse_name},
    text, unary,
};
use probity_proto::probity::study::v1::{
    EvaluateLearningReportRequest, GetLearningReportRequest, GrantReportExtensionRequest,
    LearningReport, LearningReportState, ListLearningReportsRequest, ListLearningReportsResponse,
    ReopenLearningReportRequest, ReportExtension, ReportGrade, SubmitLearningReportRequest,
    learning_report_service_server::LearningReportService,
};
use sqlx::{AnyConnection, Row, any::AnyRow};
use time::{Date, Duration};
use tonic::{Request, Response, Status};

use crate::{
    class_record::{self, ClassRecord},
    error::{Error, Result},
    members::lineage_ids,
    plan_record::{self, PlanRecord},
};

const MAX_CONTENT: usize = 100_000;

const COLUMNS: &str = "id, plan_id, class_id, member_id, content, submitted_on, due_date, late, state, grade, comments, \
    evaluator, evaluated_on, reopen_reason, revision, create_micros, update_micros";

fn from_row(row: &AnyRow) -> Result<LearningReport> {
    let evaluated: Option<String> = row.try_get("evaluated_on")?;
    Ok(LearningReport {
        name: format!("learningReports/{}", row.try_get::<String, _>("id")?),
        study_class: format!("classes/{}", row.try_get::<String, _>("class_id")?),
        plan: format!("plans/{}", row.try_get::<String, _>("plan_id")?),
        member: format!("members/{}", row.try_get::<String, _>("member_id")?),
        content: row.try_get("content")?,
        submitted_on: Some(dates::sql_to_proto(
            &row.try_get::<String, _>("submitted_on")?,
        )?),
        due_date: Some(dates::sql_to_proto(&row.try_get::<String, _>("due_date")?)?),
        late: row.try_get::<i64, _>("late")? != 0,
        state: row.try_get::<i64, _>("state")? as i32,
        grade: row.try_get::<i64, _>("grade")? as i32,
        comments: row.try_get("comments")?,
        evaluator: row.try_get("evaluator")?,
        evaluated_on: evaluated.as_deref().map(dates::sql_to_proto).transpose()?,
        etag: etag(row.try_get("revision")?),
        create_time: Some(dates::timestamp(row.try_get("create_micros")?)),
        update_time: Some(dates::timestamp(row.try_get("update_micros")?)),
        reopen_reason: row.try_get("reopen_reason")?,
    })
}

/// The report with id `id`.
async fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<LearningReport>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reports WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The report of member `member_id` for class `class_id`, if any.
async fn load_for(
    conn: &mut AnyConnection,
    class_id: &str,
    member_id: &str,
) -> Result<Option<LearningReport>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reports WHERE class_id = $1 AND member_id = $2"
    )))
    .bind(class_id)
    .bind(member_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The due date of `member`'s report for `class`: the extension's date, or
/// the class date plus the plan's days.
async fn due_date(
    conn: &mut AnyConnection,
    plan: &PlanRecord,
    class: &ClassRecord,
    member_id: &str,
) -> Result<(Date, bool)> {
    let ext: Option<(String,)> = sqlx::query_as(
        "SELECT due_date FROM report_extensions WHERE class_id = $1 AND member_id = $2",
    )
    .bind(&class.id)
    .bind(member_id)
    .fetch_optional(conn)
    .await?;
    Ok(match ext {
        Some((d,)) => (dates::from_sql(&d)?, true),
        None => (
            class.class_date + Duration::days(plan.report_due_days),
            false,
        ),
    })
}

/// Refuses unless `member_id` attended `class`.
async fn check_attended(
    conn: &mut AnyConnection,
    class: &ClassRecord,
    member_id: &str,
) -> Result<()> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT status, attended FROM attendance WHERE class_id = $1 AND member_id = $2",
    )
    .bind(&class.id)
    .bind(member_id)
    .fetch_optional(conn)
    .await?;
    match row {
        Some((_, 1)) => Ok(()),
        Some((status, _)) => Err(Error::state(
            "NOT_ATTENDED",
            format!(
                "members/{member_id} is recorded as {status:?} at {}; only attendees write a learning report",
                class.class.name
            ),
        )),
        None => Err(Error::state(
            "NOT_ATTENDED",
            format!(
                "members/{member_id} has no attendance at {}; record it first",
                class.class.name
            ),
        )),
    }
}

/// A day from the request, defaulting to today, not in the future.
fn day_or_today(
    v: &mut Violations,
    field: &str,
    d: Option<&probity_proto::google::r#type::Date>,
) -> Date {
    let today = dates::today();
    match dates::from_proto(field, d) {
        Ok(Some(day)) if day > today => {
            v.add(field, "must not be in the future");
            today
        }
        Ok(Some(day)) => day,
        Ok(None) => today,
        Err(e) => {
            v.add(e.field, e.description);
            today
        }
    }
}

fn reason(v: &mut Violations, value: &str) -> String {
    let r = text::tidy(value);
    v.check(
        r.is_empty() || r.chars().count() > 2000,
        "reason",
        "required, at most 2000 characters",
    );
    r
}

/// `LearningReportService` over one database.
#[derive(Debug, Clone)]
pub struct Reports {
    db: Database,
}

impl Reports {
    /// The service.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The class (visible and writable for the caller) and its plan, which
    /// must ask for learning reports.
    async fn class_and_plan(
        conn: &mut AnyConnection,
        call: &Call,
        name: &str,
    ) -> Result<(ClassRecord, PlanRecord)> {
        let class = class_record::visible(conn, call, "study_class", name).await?;
        class.check_write(call)?;
        let plan = plan_record::load(conn, &class.plan_id)
            .await?
            .ok_or_else(|| ApiError::Internal("class without plan".into()))?;
        if !plan.report_required {
            return Err(Error::state(
                "REPORTS_NOT_REQUIRED",
                format!("{} does not ask for learning reports", plan.plan.name),
            ));
        }
        Ok((class, plan))
    }

    async fn submit(&self, call: Call, req: SubmitLearningReportRequest) -> Result<LearningReport> {
        let mut v = Violations::new();
        let member = parse_name("member", &req.member, "members")
            .map_err(|_| v.add("member", "required, `members/{id}`"))
            .ok()
            .map(str::to_string);
        let content = req.content.trim().to_string();
        v.check(
            content.is_empty() || content.chars().count() > MAX_CONTENT,
            "content",
            "required, at most 100,000 characters",
        );
        let submitted = day_or_today(&mut v, "submitted_on", req.submitted_on.as_ref());
        v.into_result()?;
        let member = member.unwrap_or_default();
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<LearningReport>()? {
            return Ok(done);
        }
        let (class, plan) = Self::class_and_plan(w.conn(), &call, &req.study_class).await?;
        if submitted < class.class_date {
            return Err(ApiError::invalid(
                "submitted_on",
                format!("must not be before the class ({})", class.class_date),
            )
            .into());
        }
        check_attended(w.conn(), &class, &member).await?;
        let (due, extended) = due_date(w.conn(), &plan, &class, &member).await?;
        if let Some(cutoff) = plan.report_cutoff
            && submitted > cutoff
            && !(extended && submitted <= due)
        {
            return Err(Error::state(
                "PAST_CUTOFF",
                format!(
                    "{} accepts no learning report after {cutoff} without an extension",
                    plan.plan.name
                ),
            ));
        }
        let late = submitted > due;
        let now = dates::now_micros();
        let existing = load_for(w.conn(), &class.id, &member).await?;
        let id = match existing {
            Some(r) if r.state == LearningReportState::Reopened as i32 => {
                let id = r.name.trim_start_matches("learningReports/").to_string();
                sqlx::query(
                    "UPDATE reports SET content = $1, submitted_on = $2, due_date = $3, late = $4, state = $5, grade = 0, \
                     comments = '', evaluator = '', evaluated_on = NULL, revision = revision + 1, update_micros = $6 \
                     WHERE id = $7",
                )
                .bind(&content)
                .bind(dates::to_sql(submitted))
                .bind(dates::to_sql(due))
                .bind(i64::from(late))
                .bind(LearningReportState::Submitted as i64)
                .bind(now)
                .bind(&id)
                .execute(w.conn())
                .await?;
                id
            }
            Some(r) => {
                return Err(Error::state(
                    "REPORT_SUBMITTED",
                    format!(
                        "{} already has a learning report for {} ({}); reopen it to resubmit",
                        req.member, req.study_class, r.name
                    ),
                ));
            }
            None => {
                let id = new_id();
                sqlx::query(
                    "INSERT INTO reports (id, plan_id, class_id, member_id, content, submitted_on, due_date, late, state, \
                     grade, comments, evaluator, evaluated_on, reopen_reason, revision, create_micros, update_micros) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, '', '', NULL, '', 1, $10, $10)",
                )
                .bind(&id)
                .bind(&plan.id)
                .bind(&class.id)
                .bind(&member)
                .bind(&content)
                .bind(dates::to_sql(submitted))
                .bind(dates::to_sql(due))
                .bind(i64::from(late))
                .bind(LearningReportState::Submitted as i64)
                .bind(now)
                .execute(w.conn())
                .await?;
                id
            }
        };
        let report = load(w.conn(), &id)
            .await?
            .ok_or_else(|| ApiError::Internal("report vanished".into()))?;
        w.commit(&report.name, &report).await?;
        Ok(report)
    }

    /// The report named `name`, visible to the caller, with its class.
    async fn visible(
        conn: &mut AnyConnection,
        call: &Call,
        name: &str,
    ) -> Result<(LearningReport, ClassRecord)> {
        let id = parse_name("name", name, "learningReports")?;
        let report = load(conn, id)
            .await?
            .ok_or_else(|| ApiError::not_found(name))?;
        let class_id = report.study_class.trim_start_matches("classes/");
        let class = class_record::load(conn, class_id)
            .await?
            .ok_or_else(|| ApiError::Internal("report without class".into()))?;
        call.caller.check_read(class.lineage(), name)?;
        Ok((report, class))
    }

    async fn get(&self, call: Call, req: GetLearningReportRequest) -> Result<LearningReport> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        Ok(Self::visible(&mut conn, &call, &req.name).await?.0)
    }

    async fn list(
        &self,
        call: Call,
        req: ListLearningReportsRequest,
    ) -> Result<ListLearningReportsResponse> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let (plan_id, class_id) = if !req.study_class.is_empty() {
            let class =
                class_record::visible(&mut conn, &call, "study_class", &req.study_class).await?;
            (class.plan_id.clone(), class.id.clone())
        } else if !req.plan.is_empty() {
            let plan = plan_record::visible(&mut conn, &call, "plan", &req.plan).await?;
            (plan.id.clone(), String::new())
        } else {
            return Err(ApiError::invalid("plan", "set plan or study_class").into());
        };
        let state = LearningReportState::try_from(req.state)
            .map_err(|_| ApiError::invalid("state", "unknown state"))?;
        let page = PageRequest::parse(
            req.page_size,
            &req.page_token,
            &format!("{plan_id};{class_id};{}", state as i32),
        )?;
        let columns = COLUMNS
            .split(", ")
            .map(|c| format!("r.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {columns}, c.org_lineage FROM reports r JOIN classes c ON c.id = r.class_id \
             WHERE r.plan_id = $1 AND ($2 = '' OR r.class_id = $2) AND ($3 = 0 OR r.state = $3) \
             AND r.id > $4 ORDER BY r.id LIMIT $5"
        )))
        .bind(&plan_id)
        .bind(&class_id)
        .bind(state as i64)
        .bind(page.after.as_deref().unwrap_or(""))
        .bind(page.limit())
        .fetch_all(&mut *conn)
        .await?;
        let mut rows = rows;
        let next_page_token = page.finish(&mut rows, |r| {
            r.try_get::<String, _>("id").unwrap_or_default()
        });
        // Reports of classes outside the caller's scope are left out.
        let mut reports = Vec::with_capacity(rows.len());
        for row in &rows {
            let lineage: String = row.try_get("org_lineage")?;
            if call.caller.covers(lineage_ids(&lineage)) {
                reports.push(from_row(row)?);
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
        let mut v = Violations::new();
        let grade = ReportGrade::try_from(req.grade).unwrap_or(ReportGrade::Unspecified);
        v.check(
            grade == ReportGrade::Unspecified,
            "grade",
            "required: excellent, good, pass or fail",
        );
        let comments = text::tidy(&req.comments);
        v.check(
            comments.chars().count() > 5000,
            "comments",
            "at most 5000 characters",
        );
        v.check(
            grade == ReportGrade::Fail && comments.is_empty(),
            "comments",
            "required with a failing grade: say what to improve",
        );
        let day = day_or_today(&mut v, "evaluated_on", req.evaluated_on.as_ref());
        v.into_result()?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<LearningReport>()? {
            return Ok(done);
        }
        let (report, class) = Self::visible(w.conn(), &call, &req.name).await?;
        class.check_write(&call)?;
        check_current_etag(&req.name, &req.etag, &report.etag)?;
        if report.state != LearningReportState::Submitted as i32 {
            return Err(Error::state(
                "REPORT_NOT_SUBMITTED",
                format!(
                    "{} is not waiting for evaluation; reopen it and have it resubmitted first",
                    req.name
                ),
            ));
        }
        let submitted = dates::required("submitted_on", report.submitted_on.as_ref())?;
        if day < submitted {
            return Err(ApiError::invalid(
                "evaluated_on",
                format!("must not be before the submission ({submitted})"),
            )
            .into());
        }
        let state = if grade == ReportGrade::Fail {
            LearningReportState::Rejected
        } else {
            LearningReportState::Accepted
        };
        sqlx::query(
            "UPDATE reports SET state = $1, grade = $2, comments = $3, evaluator = $4, evaluated_on = $5, \
             revision = revision + 1, update_micros = $6 WHERE id = $7",
        )
        .bind(state as i64)
        .bind(grade as i64)
        .bind(&comments)
        .bind(&call.caller.subject)
        .bind(dates::to_sql(day))
        .bind(dates::now_micros())
        .bind(req.name.trim_start_matches("learningReports/"))
        .execute(w.conn())
        .await?;
        let updated = load(w.conn(), req.name.trim_start_matches("learningReports/"))
            .await?
            .ok_or_else(|| ApiError::Internal("report vanished".into()))?;
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }

    async fn extend(
        &self,
        call: Call,
        req: GrantReportExtensionRequest,
    ) -> Result<ReportExtension> {
        let mut v = Violations::new();
        let member = parse_name("member", &req.member, "members")
            .map_err(|_| v.add("member", "required, `members/{id}`"))
            .ok()
            .map(str::to_string);
        let why = reason(&mut v, &req.reason);
        let due = dates::required("due_date", req.due_date.as_ref())
            .map_err(|e| v.add(e.field, e.description))
            .ok();
        v.into_result()?;
        let (member, due) = (member.unwrap_or_default(), due.unwrap_or(Date::MIN));
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<ReportExtension>()? {
            return Ok(done);
        }
        let (class, plan) = Self::class_and_plan(w.conn(), &call, &req.study_class).await?;
        check_attended(w.conn(), &class, &member).await?;
        let (current, _) = due_date(w.conn(), &plan, &class, &member).await?;
        if due <= current {
            return Err(ApiError::invalid(
                "due_date",
                format!("must be after the current due date ({current})"),
            )
            .into());
        }
        let now = dates::now_micros();
        sqlx::query(
            "INSERT INTO report_extensions (class_id, member_id, due_date, reason, granted_by, create_micros) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (class_id, member_id) DO UPDATE SET due_date = excluded.due_date, \
             reason = excluded.reason, granted_by = excluded.granted_by, create_micros = excluded.create_micros",
        )
        .bind(&class.id)
        .bind(&member)
        .bind(dates::to_sql(due))
        .bind(&why)
        .bind(&call.caller.subject)
        .bind(now)
        .execute(w.conn())
        .await?;
        let extension = ReportExtension {
            study_class: class.class.name.clone(),
            member: format!("members/{member}"),
            due_date: Some(dates::to_proto(due)),
            reason: why,
            granted_by: call.caller.subject.clone(),
            create_time: Some(dates::timestamp(now)),
        };
        w.commit(
            &format!("{}/reportExtensions/{member}", class.class.name),
            &extension,
        )
        .await?;
        Ok(extension)
    }

    async fn reopen(&self, call: Call, req: ReopenLearningReportRequest) -> Result<LearningReport> {
        let mut v = Violations::new();
        let why = reason(&mut v, &req.reason);
        v.into_result()?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<LearningReport>()? {
            return Ok(done);
        }
        let (report, class) = Self::visible(w.conn(), &call, &req.name).await?;
        class.check_write(&call)?;
        check_current_etag(&req.name, &req.etag, &report.etag)?;
        if report.state == LearningReportState::Reopened as i32 {
            return Err(Error::state(
                "REPORT_REOPENED",
                format!("{} is already reopened", req.name),
            ));
        }
        sqlx::query(
            "UPDATE reports SET state = $1, grade = 0, comments = '', evaluator = '', evaluated_on = NULL, \
             reopen_reason = $2, revision = revision + 1, update_micros = $3 WHERE id = $4",
        )
        .bind(LearningReportState::Reopened as i64)
        .bind(&why)
        .bind(dates::now_micros())
        .bind(req.name.trim_start_matches("learningReports/"))
        .execute(w.conn())
        .await?;
        let updated = load(w.conn(), req.name.trim_start_matches("learningReports/"))
            .await?
            .ok_or_else(|| ApiError::Internal("report vanished".into()))?;
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
