//! `StatisticsService.GetReportStatistics` and
//! `GetRecommendationStatistics`: whistleblower reports received and
//! recommendations due in a period, for an organisation and each child,
//! with the same small-count suppression as case statistics (each table's
//! additive groups in `rules::report_statistics`). A rate is withheld with
//! the counts it is made of, an amount with the count it sums.

use probity_platform::{ApiError, Call, dates, rate};
use probity_proto::probity::oversight::v1::{
    CategoryCount, GetRecommendationStatisticsRequest, GetRecommendationStatisticsResponse,
    GetReportStatisticsRequest, GetReportStatisticsResponse, OutcomeCount, ProtectionEntryKind,
    PublishedRate, RecommendationKind, RecommendationStatistics, RecommendationStatus,
    ReportCategory, ReportOutcome, ReportStatistics, ReportStatus, StatusCount,
};

use super::statistics::{Statistics, Table, amount, count};
use crate::{
    error::Result,
    rules::{
        recommendations::FORMULA,
        report_statistics::{
            CATEGORIES, OUTCOMES, RecommendationFacts, RecommendationTally, ReportFacts,
            ReportTally, STATUSES, recommendation_groups, report_groups,
        },
        statistics::{RULE, Withheld},
    },
    store::{recommendations, statistics as store},
};

impl Table for ReportTally {
    fn cells(&self) -> Vec<i64> {
        ReportTally::cells(self)
    }
}

impl Table for RecommendationTally {
    fn cells(&self) -> Vec<i64> {
        RecommendationTally::cells(self)
    }
}

fn report_row(
    (organization, display_name): (String, String),
    t: &ReportTally,
    withheld: &[Withheld],
    threshold: i64,
) -> ReportStatistics {
    let cell = |i: usize, v: i64| count(v, withheld[i], threshold);
    ReportStatistics {
        organization,
        display_name,
        received: cell(0, t.received),
        by_category: CATEGORIES
            .iter()
            .enumerate()
            .map(|(i, c)| CategoryCount {
                category: *c as i32,
                count: cell(1 + i, t.by_category[i]),
            })
            .collect(),
        by_status: STATUSES
            .iter()
            .enumerate()
            .map(|(i, s)| StatusCount {
                status: *s as i32,
                count: cell(5 + i, t.by_status[i]),
            })
            .collect(),
        anonymous: cell(10, t.anonymous),
        named: cell(11, t.named),
        by_outcome: OUTCOMES
            .iter()
            .enumerate()
            .map(|(i, o)| OutcomeCount {
                outcome: *o as i32,
                count: cell(12 + i, t.by_outcome[i]),
            })
            .collect(),
        handled: cell(15, t.handled),
        handled_on_time: cell(16, t.on_time),
        handled_late: cell(17, t.late),
        protected: cell(18, t.protected),
        retaliation_complaints: cell(19, t.retaliation),
    }
}

fn published_rate(numerator: i64, denominator: i64, withheld: bool) -> Option<PublishedRate> {
    Some(PublishedRate {
        percent: if withheld {
            String::new()
        } else {
            rate::percent(numerator, denominator)
        },
        suppressed: withheld,
    })
}

fn recommendation_row(
    (organization, display_name): (String, String),
    t: &RecommendationTally,
    withheld: &[Withheld],
    threshold: i64,
) -> RecommendationStatistics {
    let cell = |i: usize, v: i64| count(v, withheld[i], threshold);
    let due_withheld = withheld[0].is_withheld();
    RecommendationStatistics {
        organization,
        display_name,
        due: cell(0, t.due),
        implemented: cell(1, t.implemented),
        partly_implemented: cell(2, t.partly),
        not_implemented: cell(3, t.not_implemented),
        pending: cell(4, t.pending),
        overdue: cell(5, t.overdue),
        amount_recommended: amount(t.amount_recommended, due_withheld),
        amount_implemented: amount(t.amount_implemented, due_withheld),
        rate_by_count: published_rate(
            t.implemented,
            t.due,
            due_withheld || withheld[1].is_withheld(),
        ),
        rate_by_amount: published_rate(t.amount_implemented, t.amount_recommended, due_withheld),
    }
}

impl Statistics {
    pub(super) async fn reports(
        &self,
        call: Call,
        req: GetReportStatisticsRequest,
    ) -> Result<GetReportStatisticsResponse> {
        let frame = self
            .frame(
                &call,
                &req.organization,
                (req.from_date.as_ref(), req.to_date.as_ref()),
                req.threshold,
            )
            .await?;
        let rows = {
            let mut conn = self.db().read_conn(&call).await.map_err(ApiError::from)?;
            store::reports_between(
                &mut conn,
                &frame.org_id,
                (&dates::to_sql(frame.from), &dates::to_sql(frame.to)),
                (
                    ProtectionEntryKind::Measure as i64,
                    ProtectionEntryKind::RetaliationComplaint as i64,
                ),
            )
            .await?
        };
        let day = |d: &Option<String>| d.as_deref().map(dates::from_sql).transpose();
        let mut facts = Vec::new();
        for r in &rows {
            facts.push((
                r.org_lineage.clone(),
                ReportFacts {
                    category: ReportCategory::try_from(r.category as i32).unwrap_or_default(),
                    status: ReportStatus::try_from(r.status as i32).unwrap_or_default(),
                    outcome: ReportOutcome::try_from(r.outcome as i32).unwrap_or_default(),
                    anonymous: r.anonymous == 1,
                    accept_due: day(&r.accept_due)?,
                    resolve_due: day(&r.resolve_due)?,
                    decided: day(&r.decision_date)?,
                    protected: r.protected == 1,
                    retaliation: r.retaliation == 1,
                },
            ));
        }
        let (total, children) = frame.publish(
            &req.organization,
            &facts,
            ReportTally::of,
            &report_groups(),
            report_row,
        );
        Ok(GetReportStatisticsResponse {
            total: Some(total),
            children,
            threshold: frame.threshold as i32,
            suppression_rule: RULE.to_string(),
        })
    }

    pub(super) async fn recommendations(
        &self,
        call: Call,
        req: GetRecommendationStatisticsRequest,
    ) -> Result<GetRecommendationStatisticsResponse> {
        let frame = self
            .frame(
                &call,
                &req.organization,
                (req.from_date.as_ref(), req.to_date.as_ref()),
                req.threshold,
            )
            .await?;
        let rows = {
            let mut conn = self.db().read_conn(&call).await.map_err(ApiError::from)?;
            recommendations::due_between(
                &mut conn,
                &frame.org_id,
                (&dates::to_sql(frame.from), &dates::to_sql(frame.to)),
            )
            .await?
        };
        let mut facts = Vec::new();
        for r in &rows {
            facts.push((
                r.org_lineage.clone(),
                RecommendationFacts {
                    status: RecommendationStatus::try_from(r.status as i32).unwrap_or_default(),
                    kind: RecommendationKind::try_from(r.kind as i32).unwrap_or_default(),
                    recommended: r.recommended_vnd,
                    implemented: r.implemented_vnd,
                    due: dates::from_sql(&r.due_date)?,
                },
            ));
        }
        let today = call.today();
        let (total, children) = frame.publish(
            &req.organization,
            &facts,
            |picked| RecommendationTally::of(picked, today),
            &recommendation_groups(),
            recommendation_row,
        );
        Ok(GetRecommendationStatisticsResponse {
            total: Some(total),
            children,
            threshold: frame.threshold as i32,
            suppression_rule: RULE.to_string(),
            formula: FORMULA.to_string(),
        })
    }
}
