//! `probity.reports.v1.PeriodReportService`: issuing a report (every
//! figure read from the other services on behalf of the caller before the
//! write begins, then stored once with its digest and an audit entry),
//! reading and listing issued reports. Checking and rendering are in
//! `verify`.

use std::sync::Arc;

use probity_platform::{
    ApiError, Call, Database, dates,
    pagination::PageRequest,
    resource::{new_id, parse_name},
    unary,
};
use probity_proto::probity::reports::v1::{
    GetReportRequest, IssueReportRequest, ListReportsRequest, ListReportsResponse, PeriodReport,
    RenderReportRequest, RenderedReport, VerifyReportRequest, VerifyReportResponse,
    period_report_service_server::PeriodReportService,
};
use prost::Message;
use tonic::{Request, Response, Status};

use super::{
    access::visible_report,
    compose::{Composed, Composer},
    consistency::Checker,
};
use crate::{
    error::Result,
    peers::{Members, ScopeView, Sources},
    rules::assemble::digest,
    store::reports::{self as store, ReportRow},
};

/// The stored report, decoded.
pub fn decode(row: &ReportRow) -> Result<PeriodReport> {
    PeriodReport::decode(row.body.as_slice())
        .map_err(|e| ApiError::Internal(format!("report {} cannot be decoded: {e}", row.id)).into())
}

/// `PeriodReportService` over one database, reading members, study and
/// oversight through `sources`.
#[derive(Clone)]
pub struct PeriodReports {
    pub(super) db: Database,
    pub(super) members: Arc<dyn Members>,
    pub(super) sources: Arc<dyn Sources>,
    composer: Composer,
    checker: Checker,
}

impl PeriodReports {
    /// The service over `db`, running the consistency check with
    /// `checker` at every issue.
    pub fn new(
        db: Database,
        members: Arc<dyn Members>,
        sources: Arc<dyn Sources>,
        checker: Checker,
    ) -> Self {
        Self {
            db,
            composer: Composer::new(members.clone(), sources.clone()),
            members,
            sources,
            checker,
        }
    }

    async fn issue(&self, call: Call, req: IssueReportRequest) -> Result<PeriodReport> {
        // The other services first, before the write lock: the scope, the
        // organisation, every figure, the consistency check.
        let Composed {
            period,
            org_id,
            mut report,
            calls,
        } = self.composer.compose(&call, &req).await?;
        let (from, to) = (dates::to_sql(period.from), dates::to_sql(period.to));
        let mut consistency = self
            .checker
            .run(&call, &req.organization, Some(&from), Some(&to))
            .await?;
        // The report keeps what was checked and how many mismatches: their
        // details name case subjects and decisions that the report's
        // readers may not read (CheckConsistency gives them to those who
        // may).
        consistency.mismatches.clear();
        report.consistency = Some(consistency);

        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        if let Some(done) = w.replayed::<PeriodReport>()? {
            return Ok(done);
        }
        let id = new_id();
        let now = call.now_micros();
        report.name = format!("reports/{id}");
        report.issue_time = Some(dates::timestamp(now));
        report.issued_by = call.caller.subject.clone();
        report.digest = digest(&report);
        let row = ReportRow {
            id,
            organization_id: org_id,
            definition_id: period.definition.id.clone(),
            definition_version: period.definition.version.into(),
            period_start: dates::to_sql(period.from),
            period_end: dates::to_sql(period.to),
            as_of: dates::to_sql(period.as_of),
            digest: report.digest.clone(),
            inputs: serde_json::to_string(&calls)
                .map_err(|e| ApiError::Internal(format!("inputs: {e}")))?,
            body: report.encode_to_vec(),
            issue_micros: now,
        };
        store::insert(w.conn(), &row).await?;
        w.commit(&report.name, &report).await?;
        Ok(report)
    }

    async fn get(&self, call: Call, req: GetReportRequest) -> Result<PeriodReport> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        decode(&visible_report(&mut conn, &call, &view, &req.name).await?)
    }

    async fn list(&self, call: Call, req: ListReportsRequest) -> Result<ListReportsResponse> {
        let page = PageRequest::parse(&call, req.page_size, &req.page_token, &req.organization)?;
        let view: Arc<ScopeView> = self.members.scope_view(&call).await?;
        let org_id = if req.organization.is_empty() {
            call.scoped();
            None
        } else {
            let id = parse_name("organization", &req.organization, "organizations")?;
            call.authorize(view.lineage(id), &req.organization)?;
            Some(id.to_string())
        };
        let mut after = page.after.as_deref().and_then(|token| {
            let (micros, id) = token.split_once(':')?;
            Some((micros.parse::<i64>().ok()?, id.to_string()))
        });
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        // Rows out of the caller's scope are skipped: read on until the
        // page is full or the reports end.
        let mut rows: Vec<ReportRow> = Vec::new();
        loop {
            let batch = store::list(
                &mut conn,
                org_id.as_deref(),
                after.as_ref().map(|(m, id)| (*m, id.as_str())),
                page.limit(),
            )
            .await?;
            let ended = (batch.len() as i64) < page.limit();
            after = batch.last().map(|r| (r.issue_micros, r.id.clone()));
            rows.extend(
                batch
                    .into_iter()
                    .filter(|r| view.covers(&r.organization_id)),
            );
            if ended || rows.len() as i64 >= page.limit() {
                break;
            }
        }
        rows.truncate(page.limit() as usize);
        let next_page_token = page.finish(&mut rows, |r| format!("{}:{}", r.issue_micros, r.id));
        let reports = rows
            .iter()
            .map(|r| {
                decode(r).map(|mut report| {
                    report.sections.clear();
                    report.inputs.clear();
                    report
                })
            })
            .collect::<Result<_>>()?;
        Ok(ListReportsResponse {
            reports,
            next_page_token,
        })
    }
}

#[tonic::async_trait]
impl PeriodReportService for PeriodReports {
    async fn issue_report(
        &self,
        r: Request<IssueReportRequest>,
    ) -> Result<Response<PeriodReport>, Status> {
        unary(r, |c, m| self.issue(c, m)).await
    }
    async fn get_report(
        &self,
        r: Request<GetReportRequest>,
    ) -> Result<Response<PeriodReport>, Status> {
        unary(r, |c, m| self.get(c, m)).await
    }
    async fn list_reports(
        &self,
        r: Request<ListReportsRequest>,
    ) -> Result<Response<ListReportsResponse>, Status> {
        unary(r, |c, m| self.list(c, m)).await
    }
    async fn verify_report(
        &self,
        r: Request<VerifyReportRequest>,
    ) -> Result<Response<VerifyReportResponse>, Status> {
        unary(r, |c, m| self.verify(c, m)).await
    }
    async fn render_report(
        &self,
        r: Request<RenderReportRequest>,
    ) -> Result<Response<RenderedReport>, Status> {
        unary(r, |c, m| self.render(c, m)).await
    }
}
