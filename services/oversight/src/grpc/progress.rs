//! `CaseService`'s progress reports: a handling agency's report filed into
//! a case, its recovered amount added to the case's.

use probity_platform::{ApiError, Call, dates, pagination::PageRequest, resource::new_id};
use probity_proto::probity::oversight::v1::{
    CaseStage, CreateProgressReportRequest, ListProgressReportsRequest,
    ListProgressReportsResponse, ProgressReport,
};

use super::{access::visible_case, cases::Cases};
use crate::{
    error::Result,
    rules::{
        progress as rules,
        stages::{check_working, is_finished},
    },
    store::{
        case_parts,
        cases::{self as cases_store},
        progress::{self as store, ReportRow},
    },
};

/// The wire form of a report.
fn report(row: &ReportRow) -> Result<ProgressReport, ApiError> {
    Ok(ProgressReport {
        name: format!("cases/{}/progressReports/{}", row.case_id, row.id),
        agency: format!("agencies/{}", row.agency_id),
        report_date: Some(dates::sql_to_proto(&row.report_date)?),
        summary: row.summary.clone(),
        recovered_vnd: row.recovered_vnd,
        create_time: Some(dates::timestamp(row.create_micros)),
    })
}

impl Cases {
    pub(super) async fn file_report(
        &self,
        call: Call,
        req: CreateProgressReportRequest,
    ) -> Result<ProgressReport> {
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let mut row = visible_case(w.conn(), &call, &view, "parent", &req.parent).await?;
        if let Some(done) = w.replayed::<ProgressReport>()? {
            return Ok(done);
        }
        // A finished case takes no more reports; a suspended one does
        // (agencies report while they wait).
        let stage = CaseStage::try_from(row.stage as i32).unwrap_or_default();
        if is_finished(stage) {
            check_working(&req.parent, stage)?;
        }
        let parts = case_parts::load(w.conn(), &row.id).await?;
        let new = rules::validate(
            &req.report.clone().unwrap_or_default(),
            dates::from_sql(&row.received_date)?,
            call.today(),
            &parts.agency_ids,
        )?;
        let filed = ReportRow {
            id: new_id(),
            case_id: row.id.clone(),
            agency_id: new.agency_id,
            report_date: dates::to_sql(new.day),
            summary: new.summary,
            recovered_vnd: new.recovered_vnd,
            create_micros: call.now_micros(),
        };
        store::insert(w.conn(), &filed).await?;
        row.recovered_vnd = row.recovered_vnd.saturating_add(filed.recovered_vnd);
        row.update_micros = call.now_micros();
        cases_store::save(w.conn(), &row).await?;
        let answered = report(&filed)?;
        w.record(&req.parent, &answered);
        w.commit(&answered.name, &answered).await?;
        Ok(answered)
    }

    pub(super) async fn reports(
        &self,
        call: Call,
        req: ListProgressReportsRequest,
    ) -> Result<ListProgressReportsResponse> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let row = visible_case(&mut conn, &call, &view, "parent", &req.parent).await?;
        let page = PageRequest::parse(&call, req.page_size, &req.page_token, &row.id)?;
        let after = page.after.clone().unwrap_or_default();
        let mut rows = store::list(&mut conn, &row.id, &after, page.limit()).await?;
        let next_page_token = page.finish(&mut rows, |r| r.id.clone());
        Ok(ListProgressReportsResponse {
            reports: rows.iter().map(report).collect::<Result<_, ApiError>>()?,
            next_page_token,
        })
    }
}
