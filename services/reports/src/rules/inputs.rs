//! The calls a report reads ([`InputCall`], kept with the report so that
//! VerifyReport can make them again) and their answers ([`Answer`], with
//! the digest a report records of each).

use probity_proto::probity::{
    members::v1::{BookEntry, Declaration, GetReviewStatisticsResponse},
    oversight::v1::{
        DisciplinaryDecision, GetCaseStatisticsResponse, GetRecommendationStatisticsResponse,
        GetReportStatisticsResponse,
    },
    study::v1::{Plan, PlanProgress},
};
use prost::Message;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One call to another service. Dates are `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum InputCall {
    /// study `PlanService.ListPlans` of the plans scoped to the
    /// organisation or to one above it (each covers the organisation),
    /// every page; the plans issued in the period are kept.
    ListPlans {
        /// `organizations/{id}` from the root down to the organisation.
        scopes: Vec<String>,
        /// First day of the period.
        from: String,
        /// Last day of the period.
        to: String,
    },
    /// study `PlanService.GetPlanProgress` of one plan over the
    /// organisation, with its children's figures.
    PlanProgress {
        /// `plans/{id}`.
        plan: String,
        /// `organizations/{id}`.
        organization: String,
        /// The date overdue reports are judged at.
        as_of: String,
    },
    /// members `ReviewService.GetReviewStatistics` of one year.
    ReviewStatistics {
        /// `organizations/{id}`.
        organization: String,
        /// The year.
        year: i32,
    },
    /// members `BookService.ListRegister` of one year (commitments and
    /// their results), every page.
    Register {
        /// `organizations/{id}`.
        organization: String,
        /// The year.
        year: i32,
    },
    /// members `DeclarationService.ListDeclarations` of one year, every
    /// page.
    Declarations {
        /// `organizations/{id}`.
        organization: String,
        /// The year.
        year: i32,
    },
    /// oversight `DisciplineService.ListDisciplinaryDecisions` of the
    /// deciding organisations of the subtree, every page; the decisions
    /// taking effect in the period are kept.
    Decisions {
        /// `organizations/{id}`.
        organization: String,
        /// First day.
        from: String,
        /// Last day.
        to: String,
    },
    /// oversight `StatisticsService.GetCaseStatistics` over the period.
    CaseStatistics {
        /// `organizations/{id}`.
        organization: String,
        /// First day.
        from: String,
        /// Last day.
        to: String,
    },
    /// oversight `StatisticsService.GetReportStatistics` over the period.
    ReportStatistics {
        /// `organizations/{id}`.
        organization: String,
        /// First day.
        from: String,
        /// Last day.
        to: String,
    },
    /// oversight `StatisticsService.GetRecommendationStatistics` over the
    /// period.
    RecommendationStatistics {
        /// `organizations/{id}`.
        organization: String,
        /// First day.
        from: String,
        /// Last day.
        to: String,
    },
}

impl InputCall {
    /// The full service name and the method.
    pub fn method(&self) -> (&'static str, &'static str) {
        match self {
            InputCall::ListPlans { .. } => ("probity.study.v1.PlanService", "ListPlans"),
            InputCall::PlanProgress { .. } => ("probity.study.v1.PlanService", "GetPlanProgress"),
            InputCall::ReviewStatistics { .. } => {
                ("probity.members.v1.ReviewService", "GetReviewStatistics")
            }
            InputCall::Register { .. } => ("probity.members.v1.BookService", "ListRegister"),
            InputCall::Declarations { .. } => {
                ("probity.members.v1.DeclarationService", "ListDeclarations")
            }
            InputCall::Decisions { .. } => (
                "probity.oversight.v1.DisciplineService",
                "ListDisciplinaryDecisions",
            ),
            InputCall::CaseStatistics { .. } => (
                "probity.oversight.v1.StatisticsService",
                "GetCaseStatistics",
            ),
            InputCall::ReportStatistics { .. } => (
                "probity.oversight.v1.StatisticsService",
                "GetReportStatistics",
            ),
            InputCall::RecommendationStatistics { .. } => (
                "probity.oversight.v1.StatisticsService",
                "GetRecommendationStatistics",
            ),
        }
    }

    /// The request in words, e.g. `plan=plans/x, organization=…,
    /// as_of=2021-12-31`.
    pub fn request(&self) -> String {
        match self {
            InputCall::ListPlans { scopes, from, to } => {
                format!("scopes={}, issued {from} to {to}", scopes.join(" "))
            }
            InputCall::PlanProgress {
                plan,
                organization,
                as_of,
            } => format!("plan={plan}, organization={organization}, as_of={as_of}"),
            InputCall::ReviewStatistics { organization, year }
            | InputCall::Register { organization, year }
            | InputCall::Declarations { organization, year } => {
                format!("organization={organization}, year={year}")
            }
            InputCall::Decisions {
                organization,
                from,
                to,
            } => format!("organization={organization}, effective {from} to {to}"),
            InputCall::CaseStatistics {
                organization,
                from,
                to,
            }
            | InputCall::ReportStatistics {
                organization,
                from,
                to,
            }
            | InputCall::RecommendationStatistics {
                organization,
                from,
                to,
            } => format!("organization={organization}, from_date={from}, to_date={to}"),
        }
    }

    /// `Service.Method(request)`, for messages.
    pub fn describe(&self) -> String {
        let (service, method) = self.method();
        let short = service.rsplit('.').next().unwrap_or(service);
        let package = service.split('.').nth(1).unwrap_or_default();
        format!("{package} {short}.{method}({})", self.request())
    }
}

/// What a call answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The plans issued in the period (every page of ListPlans, filtered).
    Plans(Vec<Plan>),
    /// A plan's progress.
    PlanProgress(PlanProgress),
    /// A year's review statistics.
    ReviewStatistics(GetReviewStatisticsResponse),
    /// Case statistics.
    CaseStatistics(GetCaseStatisticsResponse),
    /// Whistleblower report statistics.
    ReportStatistics(GetReportStatisticsResponse),
    /// Recommendation statistics.
    RecommendationStatistics(GetRecommendationStatisticsResponse),
    /// A year's register: commitments and their results.
    Register(Vec<BookEntry>),
    /// A year's declarations (as the caller may see them: redacted).
    Declarations(Vec<Declaration>),
    /// Disciplinary decisions taking effect in the period.
    Decisions(Vec<DisciplinaryDecision>),
}

impl Answer {
    /// SHA-256 (hex) of the answer's protobuf encoding (of each plan in
    /// order, for the plans).
    pub fn digest(&self) -> String {
        let mut hash = Sha256::new();
        match self {
            Answer::Plans(plans) => {
                for p in plans {
                    hash.update(p.encode_length_delimited_to_vec());
                }
            }
            Answer::PlanProgress(m) => hash.update(m.encode_to_vec()),
            Answer::ReviewStatistics(m) => hash.update(m.encode_to_vec()),
            Answer::CaseStatistics(m) => hash.update(m.encode_to_vec()),
            Answer::ReportStatistics(m) => hash.update(m.encode_to_vec()),
            Answer::RecommendationStatistics(m) => hash.update(m.encode_to_vec()),
            Answer::Register(list) => list
                .iter()
                .for_each(|m| hash.update(m.encode_length_delimited_to_vec())),
            Answer::Declarations(list) => list
                .iter()
                .for_each(|m| hash.update(m.encode_length_delimited_to_vec())),
            Answer::Decisions(list) => list
                .iter()
                .for_each(|m| hash.update(m.encode_length_delimited_to_vec())),
        }
        hex(&hash.finalize())
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The plans among `plans` issued from `from` to `to` (`YYYY-MM-DD`,
/// both included), in issue-date order then name.
pub fn issued_in(plans: Vec<Plan>, from: &str, to: &str) -> Vec<Plan> {
    let day = |p: &Plan| {
        p.issue_date
            .map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
            .unwrap_or_default()
    };
    let mut kept: Vec<Plan> = plans
        .into_iter()
        .filter(|p| {
            let d = day(p);
            d.as_str() >= from && d.as_str() <= to
        })
        .collect();
    kept.sort_by(|a, b| (day(a), &a.name).cmp(&(day(b), &b.name)));
    kept
}

#[cfg(test)]
mod tests {
    use probity_proto::google::r#type::Date;

    use super::*;

    fn plan(name: &str, year: i32) -> Plan {
        Plan {
            name: name.into(),
            issue_date: Some(Date {
                year,
                month: 11,
                day: 30,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn calls_round_trip_through_json_and_read_in_words() {
        let call = InputCall::PlanProgress {
            plan: "plans/p".into(),
            organization: "organizations/o".into(),
            as_of: "2021-12-31".into(),
        };
        let text = serde_json::to_string(&call).unwrap();
        assert_eq!(serde_json::from_str::<InputCall>(&text).unwrap(), call);
        assert_eq!(
            call.describe(),
            "study PlanService.GetPlanProgress(plan=plans/p, organization=organizations/o, as_of=2021-12-31)"
        );
    }

    #[test]
    fn only_plans_issued_in_the_period_are_kept_in_date_order() {
        let kept = issued_in(
            vec![
                plan("plans/b", 2016),
                plan("plans/a", 2022),
                plan("plans/c", 2015),
            ],
            "2016-01-01",
            "2021-12-31",
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].name, "plans/b");
    }

    #[test]
    fn a_digest_changes_with_the_answer() {
        let a = Answer::Plans(vec![plan("plans/a", 2016)]);
        let b = Answer::Plans(vec![plan("plans/a", 2017)]);
        assert_eq!(a.digest().len(), 64);
        assert_ne!(a.digest(), b.digest());
        assert_eq!(a.digest(), a.clone().digest());
    }
}
