//! The services a report reads, as traits with their gRPC clients: members
//! (organisations and a caller's scope, from the shared
//! `probity-members-client` crate) and [`Sources`], every figure's call to
//! study, members or oversight ([`SourcesPeer`]). Reports never depends on
//! the other services' code, only on their public APIs, and every call is
//! made on behalf of the caller: their policies and scopes apply.

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

mod records;

pub use probity_members_client::{
    CachedScopes, MemberInfo, Members, MembersError, MembersPeer, OrgInfo, ScopeView,
};
use probity_platform::{
    ApiError, Call,
    client::{ClientTls, on_behalf},
    dates,
};
use probity_proto::probity::{
    members::v1::{GetReviewStatisticsRequest, review_service_client::ReviewServiceClient},
    oversight::v1::{
        GetCaseStatisticsRequest, GetRecommendationStatisticsRequest, GetReportStatisticsRequest,
        statistics_service_client::StatisticsServiceClient,
    },
    study::v1::{
        GetPlanProgressRequest, ProgressBreakdown, plan_service_client::PlanServiceClient,
    },
};
use tonic::{Code, Status, transport::Channel};

use crate::{
    error::{Error, Result},
    rules::inputs::{Answer, InputCall, issued_in},
};

/// The longest one call to another service may take when the caller set
/// no deadline.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Where a report's figures are read.
#[tonic::async_trait]
pub trait Sources: Send + Sync + 'static {
    /// Makes `input` on behalf of `call`.
    async fn read(&self, call: &Call, input: &InputCall) -> Result<Answer>;
}

pub use records::Records;

/// A channel to one service, set now or later.
#[derive(Debug, Clone, Default)]
struct Lazy(Arc<OnceLock<Channel>>);

impl Lazy {
    fn set(&self, service: &str, url: &str, tls: Option<&ClientTls>) -> Result<(), String> {
        let channel = probity_platform::client::endpoint(url, tls)
            .map_err(|e| format!("{service}: {e}"))?
            .connect_lazy();
        let _ = self.0.set(channel);
        Ok(())
    }

    fn get(&self, service: &str) -> Result<Channel> {
        self.0.get().cloned().ok_or_else(|| {
            Error::MembersUnavailable(format!(
                "the {service} service cannot be reached (its address is not configured)"
            ))
        })
    }
}

/// [`Sources`] over the services' gRPC APIs.
#[derive(Debug, Clone, Default)]
pub struct SourcesPeer {
    members: Lazy,
    study: Lazy,
    oversight: Lazy,
}

impl SourcesPeer {
    /// The three services at their URLs (`http://host:port`, or
    /// `https://…` with `tls`); one URL may serve several.
    pub fn connect_lazy(
        members: &str,
        study: &str,
        oversight: &str,
        tls: Option<&ClientTls>,
    ) -> Result<Self, String> {
        let peer = Self::default();
        peer.members.set("members", members, tls)?;
        peer.study.set("study", study, tls)?;
        peer.oversight.set("oversight", oversight, tls)?;
        Ok(peer)
    }
}

/// A source's refusal as this service's error: unreachable or overloaded
/// is UNAVAILABLE; a refusal of the caller is PERMISSION_DENIED; not found
/// or invalid (a plan gone, an organisation out of scope there) is
/// NOT_FOUND of the call.
fn refused(service: &str, input: &InputCall, status: Status) -> Error {
    refused_to(service, &input.describe(), status)
}

/// [`refused`] for a call described as `what`.
pub(crate) fn refused_to(service: &str, what: &str, status: Status) -> Error {
    match status.code() {
        Code::PermissionDenied | Code::Unauthenticated => Error::MembersRefused(format!(
            "the {service} service refused {what}: {}",
            status.message()
        )),
        Code::NotFound | Code::InvalidArgument | Code::FailedPrecondition => {
            Error::Api(ApiError::not_found(what))
        }
        code => Error::MembersUnavailable(format!(
            "the {service} service cannot be reached ({code:?}: {})",
            status.message()
        )),
    }
}

fn date(field: &str, text: &str) -> Result<Option<probity_proto::google::r#type::Date>> {
    let d = dates::from_sql(text).map_err(|_| ApiError::invalid(field, "not a date"))?;
    Ok(Some(dates::to_proto(d)))
}

/// One of oversight's statistics over a period (the three take the same
/// request fields), on behalf of `$call`, as the answer `$answer`.
macro_rules! statistics {
    ($peer:expr, $call:expr, $input:expr, $organization:expr, $from:expr, $to:expr,
     $method:ident, $request:ident, $answer:ident) => {
        Ok(Answer::$answer(
            StatisticsServiceClient::new($peer.oversight.get("oversight")?)
                .$method(on_behalf(
                    $call,
                    $request {
                        organization: $organization.clone(),
                        from_date: date("from", $from)?,
                        to_date: date("to", $to)?,
                        threshold: 0,
                    },
                    TIMEOUT,
                ))
                .await
                .map_err(|s| refused("oversight", $input, s))?
                .into_inner(),
        ))
    };
}

#[tonic::async_trait]
impl Sources for SourcesPeer {
    async fn read(&self, call: &Call, input: &InputCall) -> Result<Answer> {
        match input {
            InputCall::Register { organization, year } => Ok(Answer::Register(
                Records::register(self, call, organization, *year).await?,
            )),
            InputCall::Declarations { organization, year } => Ok(Answer::Declarations(
                Records::declarations(self, call, organization, *year).await?,
            )),
            InputCall::Decisions {
                organization,
                from,
                to,
            } => {
                let day = |d: &Option<probity_proto::google::r#type::Date>| {
                    d.map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
                        .unwrap_or_default()
                };
                let kept = Records::decisions(self, call, organization)
                    .await?
                    .into_iter()
                    .filter(|d| {
                        let on = day(&d.effective_date);
                        on.as_str() >= from.as_str() && on.as_str() <= to.as_str()
                    })
                    .collect();
                Ok(Answer::Decisions(kept))
            }
            InputCall::ListPlans { scopes, from, to } => {
                let mut plans = Vec::new();
                for scope in scopes {
                    plans.extend(Records::plans(self, call, scope).await?);
                }
                Ok(Answer::Plans(issued_in(plans, from, to)))
            }
            InputCall::PlanProgress {
                plan,
                organization,
                as_of,
            } => Ok(Answer::PlanProgress(
                PlanServiceClient::new(self.study.get("study")?)
                    .get_plan_progress(on_behalf(
                        call,
                        GetPlanProgressRequest {
                            plan: plan.clone(),
                            organization: organization.clone(),
                            breakdown: ProgressBreakdown::Children as i32,
                            as_of: date("as_of", as_of)?,
                        },
                        TIMEOUT,
                    ))
                    .await
                    .map_err(|s| refused("study", input, s))?
                    .into_inner(),
            )),
            InputCall::ReviewStatistics { organization, year } => Ok(Answer::ReviewStatistics(
                ReviewServiceClient::new(self.members.get("members")?)
                    .get_review_statistics(on_behalf(
                        call,
                        GetReviewStatisticsRequest {
                            organization: organization.clone(),
                            year: *year,
                        },
                        TIMEOUT,
                    ))
                    .await
                    .map_err(|s| refused("members", input, s))?
                    .into_inner(),
            )),
            InputCall::CaseStatistics {
                organization,
                from,
                to,
            } => statistics!(
                self,
                call,
                input,
                organization,
                from,
                to,
                get_case_statistics,
                GetCaseStatisticsRequest,
                CaseStatistics
            ),
            InputCall::ReportStatistics {
                organization,
                from,
                to,
            } => statistics!(
                self,
                call,
                input,
                organization,
                from,
                to,
                get_report_statistics,
                GetReportStatisticsRequest,
                ReportStatistics
            ),
            InputCall::RecommendationStatistics {
                organization,
                from,
                to,
            } => statistics!(
                self,
                call,
                input,
                organization,
                from,
                to,
                get_recommendation_statistics,
                GetRecommendationStatisticsRequest,
                RecommendationStatistics
            ),
        }
    }
}
