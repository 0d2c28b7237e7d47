//! Putting a report together from the other services ([`Composer`]):
//! the request checked, the caller's scope on the organisation, every
//! input read on behalf of the caller, the report built. IssueReport
//! stores what it composes; GetSubmissionAggregate compares it with what
//! the units submitted.

use std::sync::Arc;

use probity_platform::{ApiError, Call, resource::parse_name};
use probity_proto::probity::reports::v1::{IssueReportRequest, PeriodReport};

use crate::{
    error::Result,
    peers::{Members, Sources},
    rules::{
        assemble::{Period, build, layout},
        inputs::{Answer, InputCall},
    },
};

/// A report composed, not stored yet.
pub struct Composed {
    /// The period, its definition and the organisation's lineage.
    pub period: Period,
    /// The organisation's id.
    pub org_id: String,
    /// The report, without name, time, issuer, digest or consistency.
    pub report: PeriodReport,
    /// The calls it read, in the order of its inputs.
    pub calls: Vec<InputCall>,
}

/// Composes reports.
#[derive(Clone)]
pub struct Composer {
    members: Arc<dyn Members>,
    sources: Arc<dyn Sources>,
}

impl Composer {
    /// The composer reading scopes from `members` and figures from
    /// `sources`.
    pub fn new(members: Arc<dyn Members>, sources: Arc<dyn Sources>) -> Self {
        Self { members, sources }
    }

    /// The report `req` asks for, on `call`'s behalf: `NOT_FOUND` for an
    /// organisation out of the caller's scope.
    pub async fn compose(&self, call: &Call, req: &IssueReportRequest) -> Result<Composed> {
        let period = Period::validate(req, call.today())?;
        let view = self.members.scope_view(call).await?;
        let org_id = parse_name("organization", &req.organization, "organizations")?;
        call.authorize(view.lineage(org_id), &req.organization)?;
        let org = self
            .members
            .organization(call, "organization", &req.organization)
            .await?;
        let period = period.within(&org.lineage);
        let plans = match self.sources.read(call, &period.plans_call()).await? {
            Answer::Plans(plans) => plans,
            other => {
                return Err(ApiError::Internal(format!("plans answered {other:?}")).into());
            }
        };
        let (sections, calls) = layout(&period, &plans);
        let mut answers = vec![Answer::Plans(plans)];
        for input in &calls[1..] {
            answers.push(self.sources.read(call, input).await?);
        }
        let report = build(&period, &org.display_name, &sections, &calls, &answers);
        Ok(Composed {
            period,
            org_id: org.id,
            report,
            calls,
        })
    }
}
