//! `probity.reports.v1.SubmissionService`: reports sent up the tree —
//! submitting an issued report to the parent's committee, the units'
//! standing for a period, and the aggregate of what they submitted beside
//! the figures computed directly over the subtree.

use std::{collections::HashMap, sync::Arc};

use probity_platform::{
    ApiError, Call, Database, Violations, dates,
    resource::{new_id, parse_name},
    suppression::{DEFAULT_THRESHOLD, RULE},
    unary,
};
use probity_proto::probity::reports::v1::{
    GetSubmissionAggregateRequest, IssueReportRequest, ListSubmissionsRequest,
    ListSubmissionsResponse, PeriodReport, Submission, SubmissionAggregate, SubmitReportRequest,
    UnitSubmission, submission_service_server::SubmissionService,
};
use time::Date;
use tonic::{Request, Response, Status};

use super::{access::visible_report, compose::Composer, reports::decode};
use crate::{
    error::Result,
    peers::{Members, OrgInfo},
    rules::{
        definitions::Definitions,
        submissions::{self as rules, Deadlines, Unit},
    },
    store::{
        reports,
        submissions::{self as store, SubmissionRow},
    },
};

/// The wire form of a submission.
fn submission(row: &SubmissionRow) -> Result<Submission> {
    Ok(Submission {
        name: format!("submissions/{}", row.id),
        report: format!("reports/{}", row.report_id),
        organization: format!("organizations/{}", row.organization_id),
        to_organization: format!("organizations/{}", row.to_organization_id),
        period_start: Some(dates::sql_to_proto(&row.period_start)?),
        period_end: Some(dates::sql_to_proto(&row.period_end)?),
        submitted_date: Some(dates::sql_to_proto(&row.submitted_date)?),
        due_date: Some(dates::sql_to_proto(&row.due_date)?),
        late: row.late != 0,
        deadline_rule: row.deadline_rule.clone(),
        submit_time: Some(dates::timestamp(row.submit_micros)),
        submitted_by: row.submitted_by.clone(),
    })
}

/// A period asked for: both days, in order.
fn period(
    start: Option<&probity_proto::google::r#type::Date>,
    end: Option<&probity_proto::google::r#type::Date>,
) -> Result<(Date, Date)> {
    let mut v = Violations::new();
    let start = dates::required("period_start", start).map_err(|e| v.add(e.field, e.description));
    let end = dates::required("period_end", end).map_err(|e| v.add(e.field, e.description));
    if let (Ok(s), Ok(e)) = (&start, &end) {
        v.check(e < s, "period_end", "must not be before period_start");
    }
    v.into_result()?;
    Ok((start.expect("checked"), end.expect("checked")))
}

/// `SubmissionService` over one database.
#[derive(Clone)]
pub struct Submissions {
    db: Database,
    members: Arc<dyn Members>,
    composer: Composer,
}

impl Submissions {
    /// The service over `db`, composing direct figures with `composer`.
    pub fn new(db: Database, members: Arc<dyn Members>, composer: Composer) -> Self {
        Self {
            db,
            members,
            composer,
        }
    }

    /// The organisation `name`, which the caller's scope must cover, and
    /// its units: its children on today's tree, in tree order.
    async fn units(&self, call: &Call, name: &str) -> Result<(String, Vec<OrgInfo>)> {
        let org_id = parse_name("organization", name, "organizations")?;
        let view = self.members.scope_view(call).await?;
        call.authorize(view.lineage(org_id), name)?;
        let children = self
            .members
            .subtree(call, "organization", name, call.today())
            .await?
            .into_iter()
            .filter(|o| o.parent_id.as_deref() == Some(org_id))
            .collect();
        Ok((org_id.to_string(), children))
    }

    /// Each unit's latest submission to `org_id` for the period.
    async fn latest(
        &self,
        org_id: &str,
        (start, end): (Date, Date),
    ) -> Result<HashMap<String, SubmissionRow>> {
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let rows = store::to_parent(
            &mut conn,
            org_id,
            (&dates::to_sql(start), &dates::to_sql(end)),
        )
        .await?;
        // Oldest first: a later submission replaces an earlier one.
        Ok(rows
            .into_iter()
            .map(|r| (r.organization_id.clone(), r))
            .collect())
    }

    async fn submit(&self, call: Call, req: SubmitReportRequest) -> Result<Submission> {
        let view = self.members.scope_view(&call).await?;
        let report = {
            let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
            visible_report(&mut conn, &call, &view, &req.report).await?
        };
        let org = self
            .members
            .organization(
                &call,
                "report",
                &format!("organizations/{}", report.organization_id),
            )
            .await?;
        let Some(parent) = org.parent_id.clone() else {
            return Err(ApiError::invalid(
                "report",
                "its organisation is a root: there is no committee above to submit to",
            )
            .into());
        };
        let end = dates::from_sql(&report.period_end)?;
        let (due, rule) = Deadlines::shipped().due(end);
        let today = call.today();
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<Submission>()? {
            return Ok(done);
        }
        let row = SubmissionRow {
            id: new_id(),
            report_id: report.id,
            organization_id: org.id,
            to_organization_id: parent,
            period_start: report.period_start,
            period_end: report.period_end,
            submitted_date: dates::to_sql(today),
            due_date: dates::to_sql(due),
            late: i64::from(today > due),
            deadline_rule: rule,
            submit_micros: call.now_micros(),
            submitted_by: call.caller.subject.clone(),
        };
        store::insert(w.conn(), &row).await?;
        let submitted = submission(&row)?;
        w.commit(&submitted.name, &submitted).await?;
        Ok(submitted)
    }

    async fn list(
        &self,
        call: Call,
        req: ListSubmissionsRequest,
    ) -> Result<ListSubmissionsResponse> {
        let days = period(req.period_start.as_ref(), req.period_end.as_ref())?;
        let (org_id, units) = self.units(&call, &req.organization).await?;
        let latest = self.latest(&org_id, days).await?;
        let (due, rule) = Deadlines::shipped().due(days.1);
        let units = units
            .into_iter()
            .map(|u| {
                let row = latest.get(&u.id);
                Ok(UnitSubmission {
                    organization: format!("organizations/{}", u.id),
                    display_name: u.display_name,
                    state: rules::state(row.map(|r| r.late != 0), due, call.today()) as i32,
                    submission: row.map(submission).transpose()?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(ListSubmissionsResponse {
            units,
            due_date: Some(dates::to_proto(due)),
            deadline_rule: rule,
        })
    }

    async fn aggregate(
        &self,
        call: Call,
        req: GetSubmissionAggregateRequest,
    ) -> Result<SubmissionAggregate> {
        let days = period(req.period_start.as_ref(), req.period_end.as_ref())?;
        let threshold = match req.threshold {
            0 => DEFAULT_THRESHOLD,
            t if i64::from(t) < DEFAULT_THRESHOLD => {
                return Err(ApiError::invalid(
                    "threshold",
                    format!("at least {DEFAULT_THRESHOLD}: a caller may raise it, not lower it"),
                )
                .into());
            }
            t => i64::from(t),
        };
        let (org_id, units) = self.units(&call, &req.organization).await?;
        let latest = self.latest(&org_id, days).await?;
        let mut submitted: HashMap<String, PeriodReport> = HashMap::new();
        {
            let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
            for (unit, row) in &latest {
                if let Some(r) = reports::load(&mut conn, &row.report_id).await? {
                    submitted.insert(unit.clone(), decode(&r)?);
                }
            }
        }
        let direct = self
            .composer
            .compose(
                &call,
                &IssueReportRequest {
                    organization: req.organization.clone(),
                    period_start: req.period_start,
                    period_end: req.period_end,
                    ..Default::default()
                },
            )
            .await?;
        let names: Vec<String> = units
            .iter()
            .map(|u| format!("organizations/{}", u.id))
            .collect();
        let list: Vec<Unit> = units
            .iter()
            .zip(&names)
            .map(|(u, name)| Unit {
                organization: name,
                report: submitted.get(&u.id),
            })
            .collect();
        let definition = Definitions::shipped()
            .find(
                &direct.period.definition.id,
                direct.period.definition.version,
                "",
            )
            .unwrap_or(&direct.period.definition);
        let found = rules::aggregate(&direct.report, definition, &list, threshold);
        Ok(SubmissionAggregate {
            organization: req.organization,
            units_submitted: list
                .iter()
                .filter(|u| u.report.is_some())
                .map(|u| u.organization.to_string())
                .collect(),
            units_missing: list
                .iter()
                .filter(|u| u.report.is_none())
                .map(|u| u.organization.to_string())
                .collect(),
            figures: found.figures,
            differences: found.differences,
            unchecked: found.unchecked,
            threshold: threshold as i32,
            suppression_rule: RULE.to_string(),
        })
    }
}

#[tonic::async_trait]
impl SubmissionService for Submissions {
    async fn submit_report(
        &self,
        r: Request<SubmitReportRequest>,
    ) -> Result<Response<Submission>, Status> {
        unary(r, |c, m| self.submit(c, m)).await
    }
    async fn list_submissions(
        &self,
        r: Request<ListSubmissionsRequest>,
    ) -> Result<Response<ListSubmissionsResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn get_submission_aggregate(
        &self,
        r: Request<GetSubmissionAggregateRequest>,
    ) -> Result<Response<SubmissionAggregate>, Status> {
        unary(r, |c, m| self.aggregate(c, m)).await
    }
}
