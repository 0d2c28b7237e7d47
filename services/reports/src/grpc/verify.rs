//! Checking an issued report against what its inputs answer now, and
//! rendering it as a document: the rest of `PeriodReportService`.

use probity_platform::{ApiError, Call};
use probity_proto::probity::reports::v1::{
    FigureCheckOutcome, Language, RenderFormat, RenderReportRequest, RenderedReport,
    VerifyReportRequest, VerifyReportResponse,
};

use super::{
    access::visible_report,
    reports::{PeriodReports, decode},
};
use crate::{
    error::{Error, Result},
    rules::{
        assemble::digest,
        definitions::Definitions,
        inputs::{Answer, InputCall},
        render, verify,
    },
};

impl PeriodReports {
    pub(super) async fn verify(
        &self,
        call: Call,
        req: VerifyReportRequest,
    ) -> Result<VerifyReportResponse> {
        let view = self.members.scope_view(&call).await?;
        let row = {
            let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
            visible_report(&mut conn, &call, &view, &req.name).await?
        };
        let report = decode(&row)?;
        let calls: Vec<InputCall> = serde_json::from_str(&row.inputs)
            .map_err(|e| ApiError::Internal(format!("inputs of {}: {e}", req.name)))?;
        // Each input again, on behalf of the caller. A service that cannot
        // be reached fails the check (nothing can be said); one that no
        // longer shows the input makes its figures "gone".
        let mut now: Vec<Result<Answer, String>> = Vec::with_capacity(calls.len());
        for input in &calls {
            now.push(match self.sources.read(&call, input).await {
                Ok(answer) => Ok(answer),
                Err(e @ Error::MembersUnavailable(_)) => return Err(e),
                Err(e) => Err(ApiError::from(e).to_string()),
            });
        }
        let (figures, inputs) = verify::check(&report, &calls, &now);
        Ok(VerifyReportResponse {
            report: req.name,
            digest_intact: digest(&report) == report.digest && report.digest == row.digest,
            figures_unchanged: figures
                .iter()
                .all(|f| f.outcome == FigureCheckOutcome::Same as i32),
            figures,
            inputs,
        })
    }

    pub(super) async fn render(
        &self,
        call: Call,
        req: RenderReportRequest,
    ) -> Result<RenderedReport> {
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let row = visible_report(&mut conn, &call, &view, &req.name).await?;
        let report = decode(&row)?;
        let id = row.id.as_str();
        let lang = match Language::try_from(req.language).unwrap_or_default() {
            Language::En => Language::En,
            _ => Language::Vi,
        };
        let suffix = if lang == Language::En { "en" } else { "vi" };
        match RenderFormat::try_from(req.format).unwrap_or_default() {
            RenderFormat::Csv => Ok(RenderedReport {
                content_type: "text/csv; charset=utf-8".into(),
                file_name: format!("report-{id}.csv"),
                content: render::csv(&report).into_bytes(),
            }),
            _ => {
                let definition = Definitions::shipped()
                    .find(&row.definition_id, row.definition_version as i32, "")
                    .ok_or_else(|| {
                        ApiError::Internal(format!(
                            "definition {} v{} is no longer shipped",
                            row.definition_id, row.definition_version
                        ))
                    })?;
                Ok(RenderedReport {
                    content_type: "text/html; charset=utf-8".into(),
                    file_name: format!("report-{id}.{suffix}.html"),
                    content: render::html(&report, definition, lang).into_bytes(),
                })
            }
        }
    }
}
