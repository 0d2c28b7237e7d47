//! `probity.oversight.v1.StatisticsService`: published statistics, rolled
//! up the organisation tree (the subtree of the organisation asked, and of
//! each of its children, as members reports them today; cases are placed
//! by the jurisdiction lineage recorded with them), with small-count
//! suppression applied to every count.

use std::sync::Arc;

use probity_platform::{ApiError, Call, Database, Violations, dates, resource::parse_name, unary};
use probity_proto::probity::oversight::v1::{
    AgeCount, Amount, CaseStatistics, Count, GetCaseStatisticsRequest, GetCaseStatisticsResponse,
    GetRecommendationStatisticsRequest, GetRecommendationStatisticsResponse,
    GetReportStatisticsRequest, GetReportStatisticsResponse, StageCount,
    statistics_service_server::StatisticsService,
};
use time::Date;
use tonic::{Request, Response, Status};

use super::{access::authorize_org, cases::stage_of};
use crate::{
    error::Result,
    peers::Members,
    rules::statistics::{self as rules, AGES, CaseFacts, STAGES, Tally, Withheld},
    store::statistics as store,
};

/// A published count: its value, `<threshold` when small, `x` when
/// withheld as a complement.
pub(super) fn count(value: i64, withheld: Withheld, threshold: i64) -> Option<Count> {
    let display = match withheld {
        Withheld::No => value.to_string(),
        Withheld::Small => format!("<{threshold}"),
        Withheld::Complement => "x".to_string(),
    };
    Some(Count {
        value: if withheld.is_withheld() { 0 } else { value },
        display,
        suppressed: withheld.is_withheld(),
    })
}

/// A published amount, withheld with its count.
pub(super) fn amount(vnd: i64, withheld: bool) -> Option<Amount> {
    Some(Amount {
        vnd: if withheld { 0 } else { vnd },
        suppressed: withheld,
    })
}

/// One row of statistics from its tally and its cells' flags.
fn row(
    (organization, display_name): (String, String),
    t: &Tally,
    withheld: &[Withheld],
    threshold: i64,
) -> CaseStatistics {
    let cell = |i: usize, v: i64| count(v, withheld[i], threshold);
    CaseStatistics {
        organization,
        display_name,
        designated: cell(0, t.designated),
        by_stage: STAGES
            .iter()
            .enumerate()
            .map(|(i, s)| StageCount {
                stage: *s as i32,
                count: cell(1 + i, t.by_stage[i]),
            })
            .collect(),
        by_age: AGES
            .iter()
            .enumerate()
            .map(|(i, a)| AgeCount {
                band: *a as i32,
                count: cell(11 + i, t.by_age[i]),
            })
            .collect(),
        resolved_on_time: cell(14, t.on_time),
        resolved_late: cell(15, t.late),
        unresolved: cell(16, t.unresolved),
        loss: amount(t.loss, withheld[0].is_withheld()),
        recovered: amount(t.recovered, withheld[0].is_withheld()),
    }
}

/// What a published statistic is computed over.
pub(super) struct Frame {
    /// The organisation's id.
    pub org_id: String,
    /// Its name.
    pub display_name: String,
    /// Its children today: id and name, in tree order.
    pub children: Vec<(String, String)>,
    /// The period's first day.
    pub from: Date,
    /// Its last day.
    pub to: Date,
    /// The suppression threshold.
    pub threshold: i64,
}

impl Frame {
    /// The table's rows as what their recorded lineages hold: `None` for
    /// the whole subtree, then `/{child}/` for each child.
    pub fn rows(&self) -> Vec<Option<String>> {
        std::iter::once(None)
            .chain(self.children.iter().map(|(id, _)| Some(format!("/{id}/"))))
            .collect()
    }

    /// True when a record of recorded `lineage` belongs in `row`.
    pub fn holds(row: &Option<String>, lineage: &str) -> bool {
        row.as_deref().is_none_or(|needle| lineage.contains(needle))
    }

    /// A published table: `facts` (each with its recorded lineage) placed
    /// in the frame's rows, each row tallied by `tally`, its cells
    /// (`Table::cells`) suppressed together under `groups`, and made into
    /// the wire form by `row` (given its organisation's name and display
    /// name, its tally, its cells' flags and the threshold). Returns the
    /// organisation's row (named `organization`) and its children's.
    pub fn publish<F: Copy, T: Table, R>(
        &self,
        organization: &str,
        facts: &[(String, F)],
        tally: impl Fn(&[F]) -> T,
        groups: &[(usize, Vec<usize>)],
        row: impl Fn((String, String), &T, &[Withheld], i64) -> R,
    ) -> (R, Vec<R>) {
        let tallies: Vec<T> = self
            .rows()
            .iter()
            .map(|r| {
                let picked: Vec<F> = facts
                    .iter()
                    .filter(|(lineage, _)| Frame::holds(r, lineage))
                    .map(|(_, f)| *f)
                    .collect();
                tally(&picked)
            })
            .collect();
        let cells: Vec<Vec<i64>> = tallies.iter().map(Table::cells).collect();
        let width = cells.first().map_or(0, Vec::len);
        let withheld = rules::suppress_table(&cells, groups, self.threshold);
        let labels = std::iter::once((organization.to_string(), self.display_name.clone())).chain(
            self.children
                .iter()
                .map(|(id, name)| (format!("organizations/{id}"), name.clone())),
        );
        let mut out: Vec<R> = labels
            .zip(&tallies)
            .enumerate()
            .map(|(i, (label, t))| {
                row(
                    label,
                    t,
                    &withheld[i * width..(i + 1) * width],
                    self.threshold,
                )
            })
            .collect();
        let total = out.remove(0);
        (total, out)
    }
}

/// A row of counts a statistic publishes.
pub(super) trait Table {
    /// Its cells, in the order of the table's groups.
    fn cells(&self) -> Vec<i64>;
}

impl Table for Tally {
    fn cells(&self) -> Vec<i64> {
        Tally::cells(self)
    }
}

/// `StatisticsService` over one database and the members service.
#[derive(Clone)]
pub struct Statistics {
    db: Database,
    members: Arc<dyn Members>,
}

impl std::fmt::Debug for Statistics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Statistics")
    }
}

impl Statistics {
    /// The service over `db`, calling `members`.
    pub fn new(db: Database, members: Arc<dyn Members>) -> Self {
        Self { db, members }
    }

    /// What every published statistic starts from: the period, the
    /// threshold, the organisation (authorized) and its children today.
    pub(super) async fn frame(
        &self,
        call: &Call,
        organization: &str,
        period: (
            Option<&probity_proto::google::r#type::Date>,
            Option<&probity_proto::google::r#type::Date>,
        ),
        threshold: i32,
    ) -> Result<Frame> {
        let org_id = parse_name("organization", organization, "organizations")?.to_string();
        let threshold = rules::threshold(threshold)?;
        let mut v = Violations::new();
        let mut day = |field: &str, d| match dates::required(field, d) {
            Ok(d) => d,
            Err(e) => {
                v.add(e.field, e.description);
                Date::MIN
            }
        };
        let from = day("from_date", period.0);
        let to = day("to_date", period.1);
        v.check(to < from, "to_date", "must not be before from_date");
        v.into_result()?;
        let view = self.members.scope_view(call).await?;
        authorize_org(call, &view, &org_id, organization)?;
        let root = self
            .members
            .organization(call, "organization", organization)
            .await?;
        let below = self
            .members
            .subtree(call, "organization", organization, call.today())
            .await?;
        let children = below
            .into_iter()
            .filter(|o| o.parent_id.as_deref() == Some(org_id.as_str()))
            .map(|o| (o.id, o.display_name))
            .collect();
        Ok(Frame {
            org_id,
            display_name: root.display_name,
            children,
            from,
            to,
            threshold,
        })
    }

    /// The database.
    pub(super) fn db(&self) -> &Database {
        &self.db
    }

    async fn cases(
        &self,
        call: Call,
        req: GetCaseStatisticsRequest,
    ) -> Result<GetCaseStatisticsResponse> {
        let frame = self
            .frame(
                &call,
                &req.organization,
                (req.from_date.as_ref(), req.to_date.as_ref()),
                req.threshold,
            )
            .await?;
        let (org_id, from, to) = (&frame.org_id, frame.from, frame.to);
        let rows = {
            let mut conn = self.db.read_conn(&call).await.map_err(ApiError::from)?;
            store::designated_between(
                &mut conn,
                org_id,
                (&dates::to_sql(from), &dates::to_sql(to)),
            )
            .await?
        };
        let mut facts: Vec<(String, CaseFacts)> = Vec::new();
        for r in &rows {
            facts.push((
                r.jurisdiction_lineage.clone(),
                CaseFacts {
                    stage: stage_of(r),
                    received: dates::from_sql(&r.received_date)?,
                    finished_late: r.finished_late != 0,
                    loss: r.loss_vnd,
                    recovered: r.recovered_vnd,
                },
            ));
        }
        let (total, children) = frame.publish(
            &req.organization,
            &facts,
            |picked| Tally::of(picked, to),
            &rules::case_groups(),
            row,
        );
        Ok(GetCaseStatisticsResponse {
            total: Some(total),
            children,
            threshold: frame.threshold as i32,
            suppression_rule: rules::RULE.to_string(),
        })
    }
}

#[tonic::async_trait]
impl StatisticsService for Statistics {
    async fn get_case_statistics(
        &self,
        r: Request<GetCaseStatisticsRequest>,
    ) -> Result<Response<GetCaseStatisticsResponse>, Status> {
        unary(r, |c, m| self.cases(c, m)).await
    }
    async fn get_report_statistics(
        &self,
        r: Request<GetReportStatisticsRequest>,
    ) -> Result<Response<GetReportStatisticsResponse>, Status> {
        unary(r, |c, m| self.reports(c, m)).await
    }
    async fn get_recommendation_statistics(
        &self,
        r: Request<GetRecommendationStatisticsRequest>,
    ) -> Result<Response<GetRecommendationStatisticsResponse>, Status> {
        unary(r, |c, m| self.recommendations(c, m)).await
    }
}
