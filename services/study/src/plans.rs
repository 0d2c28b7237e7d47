//! `probity.study.v1.PlanService`, the plan part: create, read, list,
//! update and roster refresh. Progress lives in [`crate::progress`].

use probity_platform::{
    ApiError, Call, Database, Violations,
    auth::ROLE_WRITER,
    dates,
    pagination::PageRequest,
    resource::{check_current_etag, new_id, parse_name},
    symbol, text,
};
use probity_proto::probity::study::v1::{
    CreatePlanRequest, ListPlansRequest, ListPlansResponse, Plan, RefreshPlanRosterRequest,
    ReportCondition, UpdatePlanRequest,
};
use sqlx::AnyConnection;
use time::Date;

use crate::{
    documents,
    error::{Error, Result},
    members::MembersPeer,
    plan_record::{self, PlanRecord, Status, default_statuses},
    snapshot,
};

const MAX_TITLE: usize = 1000;
const MAX_DOCUMENTS: usize = 50;
const MAX_STATUSES: usize = 20;

/// A plan's settable fields, checked and normalised.
#[derive(Debug, Clone)]
struct Fields {
    title: String,
    audience: String,
    documents: Vec<String>,
    period_start: Date,
    period_end: Date,
    report_required: bool,
    report_due_days: i64,
    report_cutoff: Option<Date>,
    min_classes: i64,
    report_condition: ReportCondition,
    statuses: Vec<Status>,
    unmarked_status: String,
}

impl Fields {
    fn of(record: &PlanRecord) -> Self {
        Self {
            title: record.plan.title.clone(),
            audience: record.plan.audience.clone(),
            documents: record
                .plan
                .documents
                .iter()
                .map(|d| d.trim_start_matches("documents/").to_string())
                .collect(),
            period_start: record.period_start,
            period_end: record.period_end,
            report_required: record.report_required,
            report_due_days: record.report_due_days,
            report_cutoff: record.report_cutoff,
            min_classes: record.min_classes,
            report_condition: record.report_condition,
            statuses: record.statuses.clone(),
            unmarked_status: record.unmarked_status.clone(),
        }
    }

    /// Applies the `paths` of `p` over `self`, collecting violations.
    fn apply(&mut self, v: &mut Violations, p: &Plan, paths: &[&str]) {
        let has = |f: &str| paths.contains(&f);
        if has("title") {
            self.title = text::tidy(&p.title);
            v.check(
                self.title.is_empty() || self.title.chars().count() > MAX_TITLE,
                "plan.title",
                "required, at most 1000 characters",
            );
        }
        if has("audience") {
            self.audience = text::tidy(&p.audience);
            v.check(
                self.audience.chars().count() > 500,
                "plan.audience",
                "at most 500 characters",
            );
        }
        if has("documents") {
            self.documents.clear();
            if p.documents.is_empty() || p.documents.len() > MAX_DOCUMENTS {
                v.add("plan.documents", "one to 50 documents");
            }
            for (i, d) in p.documents.iter().enumerate() {
                match parse_name(&format!("plan.documents[{i}]"), d, "documents") {
                    Ok(id) if self.documents.iter().any(|x| x == id) => {
                        v.add(format!("plan.documents[{i}]"), "listed twice")
                    }
                    Ok(id) => self.documents.push(id.to_string()),
                    Err(ApiError::InvalidArgument(mut e)) => v.add(
                        e.remove(0).field,
                        "must be a document name, `documents/{id}`",
                    ),
                    Err(_) => {}
                }
            }
        }
        let mut date = |field: &str, value, target: &mut Date| {
            match dates::required(field, value) {
                Ok(d) => *target = d,
                Err(e) => v.add(e.field, e.description),
            };
        };
        if has("period_start") {
            date(
                "plan.period_start",
                p.period_start.as_ref(),
                &mut self.period_start,
            );
        }
        if has("period_end") {
            date(
                "plan.period_end",
                p.period_end.as_ref(),
                &mut self.period_end,
            );
        }
        v.check(
            self.period_end < self.period_start,
            "plan.period_end",
            "must not be before period_start",
        );
        if has("learning_report") {
            let r = p.learning_report.unwrap_or_default();
            self.report_required = r.required;
            self.report_due_days = i64::from(r.due_days);
            match dates::from_proto("plan.learning_report.cutoff_date", r.cutoff_date.as_ref()) {
                Ok(d) => self.report_cutoff = d,
                Err(e) => v.add(e.field, e.description),
            }
            if r.required {
                v.check(
                    !(1..=365).contains(&r.due_days),
                    "plan.learning_report.due_days",
                    "1 to 365 days when reports are required",
                );
            } else {
                v.check(
                    r.due_days != 0 || self.report_cutoff.is_some(),
                    "plan.learning_report",
                    "due_days and cutoff_date only apply when reports are required",
                );
            }
        }
        if let Some(cutoff) = self.report_cutoff {
            v.check(
                cutoff < self.period_start,
                "plan.learning_report.cutoff_date",
                "must not be before period_start",
            );
        }
        if has("completion_rule") {
            let c = p.completion_rule.unwrap_or_default();
            self.min_classes = match c.min_counted_classes {
                0 => 1,
                n => i64::from(n),
            };
            v.check(
                !(1..=100).contains(&self.min_classes),
                "plan.completion_rule.min_counted_classes",
                "1 to 100",
            );
            self.report_condition = match ReportCondition::try_from(c.report) {
                Ok(ReportCondition::Unspecified) | Err(_) => ReportCondition::Unspecified,
                Ok(other) => other,
            };
            if ReportCondition::try_from(c.report).is_err() {
                v.add("plan.completion_rule.report", "unknown condition");
            }
        }
        if self.report_condition == ReportCondition::Unspecified {
            self.report_condition = if self.report_required {
                ReportCondition::Accepted
            } else {
                ReportCondition::None
            };
        }
        v.check(
            !self.report_required && self.report_condition != ReportCondition::None,
            "plan.completion_rule.report",
            "a report condition needs learning reports to be required",
        );
        if has("attendance_statuses") {
            self.statuses = if p.attendance_statuses.is_empty() {
                default_statuses()
            } else {
                p.attendance_statuses
                    .iter()
                    .map(|s| Status {
                        code: s.code.trim().to_string(),
                        label: text::tidy(&s.label),
                        attended: s.counts_as_attended,
                    })
                    .collect()
            };
            v.check(
                self.statuses.len() > MAX_STATUSES,
                "plan.attendance_statuses",
                "at most 20 statuses",
            );
            for (i, s) in self.statuses.iter().enumerate() {
                let ok = !s.code.is_empty()
                    && s.code.len() <= 32
                    && s.code
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                v.check(
                    !ok,
                    &format!("plan.attendance_statuses[{i}].code"),
                    "1 to 32 of a-z, 0-9 and _",
                );
                v.check(
                    self.statuses[..i].iter().any(|o| o.code == s.code),
                    &format!("plan.attendance_statuses[{i}].code"),
                    "listed twice",
                );
            }
            v.check(
                !self.statuses.iter().any(|s| s.attended),
                "plan.attendance_statuses",
                "at least one status must count as attended",
            );
        }
        if has("unmarked_status") || has("attendance_statuses") {
            let wanted = p.unmarked_status.trim();
            if has("unmarked_status") && !wanted.is_empty() {
                self.unmarked_status = wanted.to_string();
            } else if !self.statuses.iter().any(|s| s.code == self.unmarked_status) {
                self.unmarked_status = if self.statuses.iter().any(|s| s.code == "absent") {
                    "absent".into()
                } else {
                    self.statuses
                        .iter()
                        .find(|s| !s.attended)
                        .map(|s| s.code.clone())
                        .unwrap_or_default()
                };
            }
        }
        match self
            .statuses
            .iter()
            .find(|s| s.code == self.unmarked_status)
        {
            None => v.add(
                "plan.unmarked_status",
                "must be one of the plan's attendance statuses that does not count as attended",
            ),
            Some(s) if s.attended => v.add(
                "plan.unmarked_status",
                "must not count as attended: unmarked members did not attend",
            ),
            Some(_) => {}
        }
    }
}

/// Fields a plan starts from before the request's values are applied.
fn blank() -> Fields {
    Fields {
        title: String::new(),
        audience: String::new(),
        documents: Vec::new(),
        period_start: Date::MIN,
        period_end: Date::MIN,
        report_required: false,
        report_due_days: 0,
        report_cutoff: None,
        min_classes: 1,
        report_condition: ReportCondition::Unspecified,
        statuses: default_statuses(),
        unmarked_status: "absent".into(),
    }
}

/// Every field UpdatePlan may change (and CreatePlan sets).
const SETTABLE: [&str; 9] = [
    "title",
    "audience",
    "documents",
    "period_start",
    "period_end",
    "learning_report",
    "completion_rule",
    "attendance_statuses",
    "unmarked_status",
];

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

/// Writes a plan's documents and statuses (replacing any).
async fn store_lists(conn: &mut AnyConnection, id: &str, f: &Fields) -> Result<()> {
    sqlx::query("DELETE FROM plan_documents WHERE plan_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM plan_statuses WHERE plan_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for (i, d) in f.documents.iter().enumerate() {
        sqlx::query(
            "INSERT INTO plan_documents (plan_id, position, document_id) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(i as i64)
        .bind(d)
        .execute(&mut *conn)
        .await?;
    }
    for (i, s) in f.statuses.iter().enumerate() {
        sqlx::query(
            "INSERT INTO plan_statuses (plan_id, position, code, label, attended) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(i as i64)
        .bind(&s.code)
        .bind(&s.label)
        .bind(i64::from(s.attended))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn reload(conn: &mut AnyConnection, id: &str) -> Result<PlanRecord> {
    plan_record::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::Internal("plan vanished".into()).into())
}

/// `PlanService`'s plan methods over one database and the members service.
#[derive(Debug, Clone)]
pub struct Plans {
    db: Database,
    members: MembersPeer,
}

impl Plans {
    /// The service.
    pub fn new(db: Database, members: MembersPeer) -> Self {
        Self { db, members }
    }

    /// CreatePlan.
    pub async fn create(&self, call: Call, req: CreatePlanRequest) -> Result<Plan> {
        call.caller.require_role(ROLE_WRITER)?;
        let p = req.plan.clone().unwrap_or_default();
        let mut v = Violations::new();
        let parsed = symbol::parse(&p.symbol)
            .map_err(|e| v.add("plan.symbol", e))
            .ok();
        let issued = dates::required("plan.issue_date", p.issue_date.as_ref())
            .map_err(|e| v.add(e.field, e.description))
            .ok();
        if issued.is_some_and(|d| d > dates::today()) {
            v.add("plan.issue_date", "must not be in the future");
        }
        let mut f = blank();
        f.apply(&mut v, &p, &SETTABLE);
        let reference = dates::from_proto("plan.reference_date", p.reference_date.as_ref())
            .map_err(|e| v.add(e.field, e.description))
            .ok()
            .flatten()
            .unwrap_or(f.period_start);
        let scope = parse_name("plan.scope", &p.scope, "organizations")
            .map_err(|e| {
                if let ApiError::InvalidArgument(mut list) = e {
                    let x = list.remove(0);
                    v.add(x.field, x.description);
                }
            })
            .ok();
        v.into_result()?;
        let (Some(parsed), Some(issued), Some(_)) = (parsed, issued, scope) else {
            return Err(ApiError::Internal("validated fields missing".into()).into());
        };
        {
            let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
            check_documents(&mut conn, &f.documents).await?;
        }
        // Members first, outside the transaction.
        let scope_org = self
            .members
            .organization(&call, "plan.scope", &p.scope)
            .await?;
        call.caller
            .check_write(scope_org.lineage.iter().map(String::as_str), &p.scope)?;
        if !scope_org.exists_on(reference) {
            return Err(ApiError::invalid(
                "plan.reference_date",
                format!("{} does not exist on {reference}", p.scope),
            )
            .into());
        }
        let snap = snapshot::take(&self.members, &call, &scope_org, reference).await?;

        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<Plan>()? {
            return Ok(done);
        }
        let id = new_id();
        let now = dates::now_micros();
        sqlx::query(
            "INSERT INTO plans (id, symbol, issue_date, title, scope_id, scope_lineage, audience, period_start, \
             period_end, reference_date, report_required, report_due_days, report_cutoff, min_classes, \
             report_condition, unmarked_status, roster_micros, eligible, revision, create_micros, update_micros) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 1, $17, $17)",
        )
        .bind(&id)
        .bind(&parsed.canonical)
        .bind(dates::to_sql(issued))
        .bind(&f.title)
        .bind(&scope_org.id)
        .bind(scope_org.lineage_text())
        .bind(&f.audience)
        .bind(dates::to_sql(f.period_start))
        .bind(dates::to_sql(f.period_end))
        .bind(dates::to_sql(reference))
        .bind(i64::from(f.report_required))
        .bind(f.report_due_days)
        .bind(f.report_cutoff.map(dates::to_sql))
        .bind(f.min_classes)
        .bind(f.report_condition as i64)
        .bind(&f.unmarked_status)
        .bind(now)
        .bind(snap.members.len() as i64)
        .execute(w.conn())
        .await
        .map_err(|e| {
            if probity_platform::error::is_unique_violation(&e) {
                Error::SymbolTaken(format!("plan {}", parsed.canonical))
            } else {
                e.into()
            }
        })?;
        store_lists(w.conn(), &id, &f).await?;
        snapshot::store(w.conn(), &id, &snap).await?;
        let created = reload(w.conn(), &id).await?.plan;
        w.commit(&created.name, &created).await?;
        self.db.refresh_statistics(snapshot::TABLES);
        Ok(created)
    }

    /// GetPlan.
    pub async fn get(&self, call: Call, name: &str) -> Result<Plan> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        Ok(plan_record::visible(&mut conn, &call, "name", name)
            .await?
            .plan)
    }

    /// ListPlans.
    pub async fn list(&self, call: Call, req: ListPlansRequest) -> Result<ListPlansResponse> {
        let mut v = Violations::new();
        let scope = if req.scope.is_empty() {
            String::new()
        } else {
            parse_name("scope", &req.scope, "organizations")
                .map(str::to_string)
                .map_err(|_| v.add("scope", "must be `organizations/{id}`"))
                .unwrap_or_default()
        };
        v.check(
            req.year != 0 && !(1930..=9999).contains(&req.year),
            "year",
            "a year from 1930, or 0 for any",
        );
        v.into_result()?;
        let page = PageRequest::parse(
            req.page_size,
            &req.page_token,
            &format!("{scope};{}", req.year),
        )?;
        let after = page.after.clone().unwrap_or_default();
        let (after_date, after_id) = after.split_once('|').unwrap_or(("9999-12-31", "~"));
        let (from, to) = if req.year == 0 {
            ("0000-01-01".to_string(), "9999-12-31".to_string())
        } else {
            (
                format!("{:04}-01-01", req.year),
                format!("{:04}-12-31", req.year),
            )
        };
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, issue_date FROM plans WHERE ($1 = '' OR scope_id = $1) \
             AND issue_date >= $2 AND issue_date <= $3 AND (issue_date < $4 OR (issue_date = $4 AND id < $5)) \
             ORDER BY issue_date DESC, id DESC LIMIT $6",
        )
        .bind(&scope)
        .bind(&from)
        .bind(&to)
        .bind(after_date)
        .bind(after_id)
        .bind(page.limit())
        .fetch_all(self.db.pool())
        .await?;
        let mut rows = rows;
        let next_page_token = page.finish(&mut rows, |(id, date)| format!("{date}|{id}"));
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let mut plans = Vec::new();
        // Plans the caller may not read are left out (the page may come out
        // shorter; the token still continues after it).
        for (id, _) in rows {
            if let Some(p) = plan_record::load(&mut conn, &id).await?
                && p.check_read(&mut conn, &call).await.is_ok()
            {
                plans.push(p.plan);
            }
        }
        Ok(ListPlansResponse {
            plans,
            next_page_token,
        })
    }

    /// UpdatePlan.
    pub async fn update(&self, call: Call, req: UpdatePlanRequest) -> Result<Plan> {
        call.caller.require_role(ROLE_WRITER)?;
        let p = req.plan.clone().unwrap_or_default();
        let paths =
            probity_platform::mask::paths(req.update_mask.as_ref(), &SETTABLE, |f| match f {
                "title" => !p.title.is_empty(),
                "audience" => !p.audience.is_empty(),
                "documents" => !p.documents.is_empty(),
                "period_start" => p.period_start.is_some(),
                "period_end" => p.period_end.is_some(),
                "learning_report" => p.learning_report.is_some(),
                "completion_rule" => p.completion_rule.is_some(),
                "attendance_statuses" => !p.attendance_statuses.is_empty(),
                "unmarked_status" => !p.unmarked_status.is_empty(),
                _ => false,
            })?;
        let id = parse_name("plan.name", &p.name, "plans")?.to_string();
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<Plan>()? {
            return Ok(done);
        }
        let current = plan_record::load(w.conn(), &id)
            .await?
            .ok_or_else(|| ApiError::not_found(&p.name))?;
        current.check_read(w.conn(), &call).await?;
        call.caller.check_write(current.lineage(), &p.name)?;
        check_current_etag(&p.name, &p.etag, &current.plan.etag)?;
        let mut f = Fields::of(&current);
        let mut v = Violations::new();
        f.apply(&mut v, &p, &paths);
        v.into_result()?;
        check_documents(w.conn(), &f.documents).await?;
        if paths.contains(&"attendance_statuses") && f.statuses != current.statuses {
            let (recorded,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM attendance a JOIN classes c ON c.id = a.class_id WHERE c.plan_id = $1",
            )
            .bind(&id)
            .fetch_one(w.conn())
            .await?;
            if recorded > 0 {
                return Err(Error::state(
                    "ATTENDANCE_RECORDED",
                    format!(
                        "{} already has {recorded} attendance records; its statuses can no longer change",
                        p.name
                    ),
                ));
            }
        }
        let (first, last): (Option<String>, Option<String>) = sqlx::query_as(
            "SELECT MIN(class_date), MAX(class_date) FROM classes WHERE plan_id = $1 AND state <> 3",
        )
        .bind(&id)
        .fetch_one(w.conn())
        .await?;
        if let (Some(first), Some(last)) = (first, last)
            && (first < dates::to_sql(f.period_start) || last > dates::to_sql(f.period_end))
        {
            return Err(Error::state(
                "CLASSES_OUTSIDE_PERIOD",
                format!(
                    "{} has classes from {first} to {last}; the period must still contain them",
                    p.name
                ),
            ));
        }
        sqlx::query(
            "UPDATE plans SET title = $1, audience = $2, period_start = $3, period_end = $4, report_required = $5, \
             report_due_days = $6, report_cutoff = $7, min_classes = $8, report_condition = $9, \
             unmarked_status = $10, revision = revision + 1, update_micros = $11 WHERE id = $12",
        )
        .bind(&f.title)
        .bind(&f.audience)
        .bind(dates::to_sql(f.period_start))
        .bind(dates::to_sql(f.period_end))
        .bind(i64::from(f.report_required))
        .bind(f.report_due_days)
        .bind(f.report_cutoff.map(dates::to_sql))
        .bind(f.min_classes)
        .bind(f.report_condition as i64)
        .bind(&f.unmarked_status)
        .bind(dates::now_micros())
        .bind(&id)
        .execute(w.conn())
        .await?;
        store_lists(w.conn(), &id, &f).await?;
        let updated = reload(w.conn(), &id).await?.plan;
        w.commit(&updated.name, &updated).await?;
        Ok(updated)
    }

    /// RefreshPlanRoster.
    pub async fn refresh(&self, call: Call, req: RefreshPlanRosterRequest) -> Result<Plan> {
        call.caller.require_role(ROLE_WRITER)?;
        let current = {
            let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
            plan_record::visible(&mut conn, &call, "name", &req.name).await?
        };
        call.caller.check_write(current.lineage(), &req.name)?;
        let scope_name = current.plan.scope.clone();
        let scope = self
            .members
            .organization(&call, "plan.scope", &scope_name)
            .await?;
        let snap = snapshot::take(&self.members, &call, &scope, current.reference_date).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<Plan>()? {
            return Ok(done);
        }
        let now_record = reload(w.conn(), &current.id).await?;
        check_current_etag(&req.name, &req.etag, &now_record.plan.etag)?;
        snapshot::store(w.conn(), &current.id, &snap).await?;
        let now = dates::now_micros();
        sqlx::query(
            "UPDATE plans SET roster_micros = $1, eligible = $2, revision = revision + 1, update_micros = $1 WHERE id = $3",
        )
        .bind(now)
        .bind(snap.members.len() as i64)
        .bind(&current.id)
        .execute(w.conn())
        .await?;
        let updated = reload(w.conn(), &current.id).await?.plan;
        w.commit(&updated.name, &updated).await?;
        self.db.refresh_statistics(snapshot::TABLES);
        Ok(updated)
    }
}
