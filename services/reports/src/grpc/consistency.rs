//! `probity.reports.v1.ConsistencyService`, and the check itself
//! ([`Checker`]), which IssueReport also runs: reads what the rules in
//! `rules::consistency` compare, from study, members and oversight on
//! behalf of the caller, before any write.

use std::{collections::HashMap, sync::Arc};

use probity_platform::{ApiError, Call, dates, resource::parse_name, unary};
use probity_proto::{
    google::r#type::Date,
    probity::reports::v1::{
        CheckConsistencyRequest, ConsistencyCheck, ConsistencyReport, Mismatch,
        consistency_service_server::ConsistencyService,
    },
};
use tonic::{Request, Response, Status};

use crate::{
    error::{Error, Result},
    peers::{Members, MembersError, Records},
    rules::consistency::{self as rules, Known, MAX_LISTED, Placed},
};

/// The most members looked up one by one in a check (roster members
/// members' roster lacks, expelled members): past it, a mismatch is
/// reported without members' current answer.
const MAX_LOOKUPS: usize = 200;

/// Runs the consistency checks.
#[derive(Clone)]
pub struct Checker {
    members: Arc<dyn Members>,
    records: Arc<dyn Records>,
}

/// Members' answer for `name` today: `None` when it has no such member.
async fn lookup(
    members: &dyn Members,
    call: &Call,
    name: &str,
) -> Result<Option<probity_members_client::MemberInfo>> {
    match members.member(call, "member", name).await {
        Ok(info) => Ok(Some(info)),
        Err(MembersError::Api(ApiError::InvalidArgument(_) | ApiError::NotFound { .. })) => {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Adds one check's coverage to `report` and its mismatches to `found`.
fn record(
    report: &mut ConsistencyReport,
    found: &mut Vec<Mismatch>,
    name: &str,
    items: usize,
    list: Vec<Mismatch>,
) {
    report.checks.push(ConsistencyCheck {
        name: name.into(),
        items_checked: items as i64,
        mismatches: list.len() as i64,
    });
    found.extend(list);
}

fn iso(d: &Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

impl Checker {
    /// The checker over `members` and `records`.
    pub fn new(members: Arc<dyn Members>, records: Arc<dyn Records>) -> Self {
        Self { members, records }
    }

    /// Every check over `org`'s subtree, for its plans issued from `from`
    /// to `to` (`YYYY-MM-DD`, either open). The caller's scope was checked.
    pub async fn run(
        &self,
        call: &Call,
        org: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<ConsistencyReport> {
        let mut report = ConsistencyReport {
            organization: org.to_string(),
            check_time: Some(dates::timestamp(call.now_micros())),
            ..Default::default()
        };
        let mut found: Vec<Mismatch> = Vec::new();
        let mut lookups = 0;

        // Each plan's roster against members' roster of its scope and date.
        for plan in self.records.plans(call, org).await? {
            let issued = plan.issue_date.as_ref().map(iso).unwrap_or_default();
            if from.is_some_and(|f| issued.as_str() < f) || to.is_some_and(|t| issued.as_str() > t)
            {
                continue;
            }
            let Some(date) = plan.reference_date.or(plan.issue_date) else {
                continue;
            };
            let day = dates::from_proto("reference_date", Some(&date))
                .map_err(ApiError::from)?
                .ok_or_else(|| ApiError::Internal("a plan without a date".into()))?;
            let study: Vec<Placed> = self
                .records
                .plan_roster(call, &plan.name)
                .await?
                .into_iter()
                .map(|m| Placed {
                    member: m.member,
                    org: m.organization,
                })
                .collect();
            let members: Vec<Placed> = self
                .members
                .roster(call, "plan", &plan.scope, day, true)
                .await?
                .into_iter()
                .map(|e| Placed {
                    member: format!("members/{}", e.member_id),
                    org: format!("organizations/{}", e.org_id),
                })
                .collect();
            let on_members: std::collections::HashSet<&str> =
                members.iter().map(|p| p.member.as_str()).collect();
            let mut known = HashMap::new();
            for p in study
                .iter()
                .filter(|p| !on_members.contains(p.member.as_str()))
            {
                if lookups == MAX_LOOKUPS {
                    break;
                }
                lookups += 1;
                let answer = lookup(self.members.as_ref(), call, &p.member).await?;
                known.insert(
                    p.member.clone(),
                    answer.map(|i| Known {
                        org: format!("organizations/{}", i.org_id),
                        status: i.status,
                    }),
                );
            }
            let (check, list) = rules::roster(
                &plan.name,
                &plan.scope,
                &iso(&date),
                &study,
                &members,
                &known,
            );
            report.checks.push(check);
            found.extend(list);
        }

        // Attendance after an expulsion.
        let expelled = self.records.expelled(call, org).await?;
        let mut after = Vec::new();
        for m in expelled.iter().take(MAX_LOOKUPS) {
            let events: Vec<(i32, Option<Date>)> = self
                .records
                .events(call, &m.name)
                .await?
                .into_iter()
                .map(|e| (e.to_status, e.effective_date))
                .collect();
            let Some(on) = rules::expelled_on(&events) else {
                continue;
            };
            for year in on.year..=call.today().year() {
                let record = match self.records.study_record(call, &m.name, year).await {
                    Ok(r) => r,
                    Err(Error::Api(ApiError::NotFound { .. })) => continue,
                    Err(e) => return Err(e),
                };
                after.extend(rules::attended_after_expulsion(
                    &m.name,
                    &on,
                    &record.attendances,
                ));
            }
        }
        record(
            &mut report,
            &mut found,
            "attendance after an expulsion",
            expelled.len(),
            after,
        );

        // Expulsions oversight applied, against members' status.
        let decisions = self.records.decisions(call, org).await?;
        let mut statuses = HashMap::new();
        for d in &decisions {
            if !statuses.contains_key(&d.member) && statuses.len() < MAX_LOOKUPS {
                let answer = lookup(self.members.as_ref(), call, &d.member).await?;
                statuses.insert(d.member.clone(), answer.map(|i| i.status));
            }
        }
        let list = rules::discipline(&decisions, &statuses);
        record(
            &mut report,
            &mut found,
            "expulsions against members' status",
            decisions.len(),
            list,
        );

        // Case subjects members does not know.
        let cases = self.records.cases(call, org).await?;
        let mut known = HashMap::new();
        for s in cases.iter().flat_map(|c| &c.subjects) {
            if !s.member.is_empty() && !known.contains_key(&s.member) && known.len() < MAX_LOOKUPS {
                let answer = lookup(self.members.as_ref(), call, &s.member).await?;
                known.insert(s.member.clone(), answer.is_some());
            }
        }
        let list = rules::case_subjects(&cases, &known);
        record(
            &mut report,
            &mut found,
            "case subjects against members",
            known.len(),
            list,
        );

        report.mismatch_count = found.len() as i64;
        found.truncate(MAX_LISTED);
        report.mismatches = found;
        Ok(report)
    }
}

/// `ConsistencyService`.
#[derive(Clone)]
pub struct ConsistencyApi {
    members: Arc<dyn Members>,
    checker: Checker,
}

impl ConsistencyApi {
    /// The service over `checker`, scopes from `members`.
    pub fn new(members: Arc<dyn Members>, checker: Checker) -> Self {
        Self { members, checker }
    }

    async fn check(&self, call: Call, req: CheckConsistencyRequest) -> Result<ConsistencyReport> {
        let org_id = parse_name("organization", &req.organization, "organizations")?;
        let from = dates::from_proto("period_start", req.period_start.as_ref())
            .map_err(ApiError::from)?
            .map(dates::to_sql);
        let to = dates::from_proto("period_end", req.period_end.as_ref())
            .map_err(ApiError::from)?
            .map(dates::to_sql);
        let view = self.members.scope_view(&call).await?;
        call.authorize(view.lineage(org_id), &req.organization)?;
        self.checker
            .run(&call, &req.organization, from.as_deref(), to.as_deref())
            .await
    }
}

#[tonic::async_trait]
impl ConsistencyService for ConsistencyApi {
    async fn check_consistency(
        &self,
        r: Request<CheckConsistencyRequest>,
    ) -> Result<Response<ConsistencyReport>, Status> {
        unary(r, |c, m| self.check(c, m)).await
    }
}
