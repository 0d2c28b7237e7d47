//! `probity report issue|list|verify|render`: period reports through the
//! reports service's public API.

use std::{path::Path, process::ExitCode};

use anyhow::{Context, bail};
use probity_platform::client::Authed;
use probity_proto::{
    google::r#type::Date,
    probity::reports::v1::{
        FigureCheckOutcome, IssueReportRequest, Language, ListReportsRequest, PeriodReport,
        RenderFormat, RenderReportRequest, VerifyReportRequest,
        period_report_service_client::PeriodReportServiceClient,
    },
};

use crate::{config::ReportCommand, run::authed};

/// A `YYYY-MM-DD` flag as a date.
fn date(flag: &str, text: &str) -> anyhow::Result<Date> {
    let d = probity_platform::dates::from_sql(text)
        .map_err(|_| anyhow::anyhow!("--{flag} {text:?} is not a date (YYYY-MM-DD)"))?;
    Ok(probity_platform::dates::to_proto(d))
}

fn status(what: &str) -> impl Fn(tonic::Status) -> anyhow::Error + '_ {
    move |s| anyhow::anyhow!("{what}: {:?}: {}", s.code(), s.message())
}

/// Runs a report subcommand.
pub async fn command(command: ReportCommand) -> anyhow::Result<ExitCode> {
    match command {
        ReportCommand::Issue {
            organization,
            from,
            to,
            as_of,
            out,
            client,
        } => {
            let channel = authed(&client, &client.addr)?;
            let request = IssueReportRequest {
                organization,
                period_start: Some(date("from", &from)?),
                period_end: Some(date("to", &to)?),
                as_of: as_of.as_deref().map(|d| date("as-of", d)).transpose()?,
                ..Default::default()
            };
            let report = issue(channel.clone(), request).await?;
            println!("{} digest {}", report.name, report.digest);
            if let Some(dir) = out {
                for path in write_all(channel, &report.name, &dir).await? {
                    println!("wrote {}", path.display());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ReportCommand::List {
            organization,
            client,
        } => {
            let mut api = PeriodReportServiceClient::new(authed(&client, &client.addr)?);
            let mut page_token = String::new();
            loop {
                let page = api
                    .list_reports(ListReportsRequest {
                        organization: organization.clone().unwrap_or_default(),
                        page_size: 100,
                        page_token,
                    })
                    .await
                    .map_err(status("ListReports"))?
                    .into_inner();
                for r in page.reports {
                    let d = |d: Option<Date>| {
                        d.map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
                            .unwrap_or_default()
                    };
                    println!(
                        "{}\t{}\t{} to {}, as of {}\t{}",
                        r.name,
                        r.organization_display_name,
                        d(r.period_start),
                        d(r.period_end),
                        d(r.as_of),
                        r.digest
                    );
                }
                if page.next_page_token.is_empty() {
                    return Ok(ExitCode::SUCCESS);
                }
                page_token = page.next_page_token;
            }
        }
        ReportCommand::Verify { report, client } => {
            let checked = PeriodReportServiceClient::new(authed(&client, &client.addr)?)
                .verify_report(VerifyReportRequest {
                    name: report.clone(),
                })
                .await
                .map_err(status("VerifyReport"))?
                .into_inner();
            println!(
                "{report}: stored report {}",
                if checked.digest_intact {
                    "matches its digest"
                } else {
                    "DOES NOT match its digest"
                }
            );
            for f in &checked.figures {
                let outcome = FigureCheckOutcome::try_from(f.outcome).unwrap_or_default();
                match outcome {
                    FigureCheckOutcome::Same => println!("  same     {}", f.key),
                    _ => println!(
                        "  {:<8} {}: {}",
                        if outcome == FigureCheckOutcome::Changed {
                            "CHANGED"
                        } else {
                            "GONE"
                        },
                        f.key,
                        f.cause
                    ),
                }
            }
            let changed = checked
                .figures
                .iter()
                .filter(|f| f.outcome != FigureCheckOutcome::Same as i32)
                .count();
            println!(
                "{} figures, {changed} changed or gone; {} of {} inputs answer differently now",
                checked.figures.len(),
                checked.inputs.iter().filter(|i| i.changed).count(),
                checked.inputs.len()
            );
            Ok(if checked.digest_intact && checked.figures_unchanged {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        ReportCommand::Render {
            report,
            lang,
            format,
            out,
            client,
        } => {
            let language = match lang.as_str() {
                "vi" => Language::Vi,
                "en" => Language::En,
                other => bail!("--lang {other:?}: vi or en"),
            };
            let format = match format.as_str() {
                "html" => RenderFormat::Html,
                "csv" => RenderFormat::Csv,
                other => bail!("--format {other:?}: html or csv"),
            };
            let rendered = PeriodReportServiceClient::new(authed(&client, &client.addr)?)
                .render_report(RenderReportRequest {
                    name: report,
                    language: language as i32,
                    format: format as i32,
                })
                .await
                .map_err(status("RenderReport"))?
                .into_inner();
            let path = out.unwrap_or_else(|| rendered.file_name.clone().into());
            std::fs::write(&path, &rendered.content)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("wrote {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Issues a report.
pub async fn issue(channel: Authed, request: IssueReportRequest) -> anyhow::Result<PeriodReport> {
    Ok(PeriodReportServiceClient::new(channel)
        .issue_report(request)
        .await
        .map_err(status("IssueReport"))?
        .into_inner())
}

/// Writes `report.vi.html`, `report.en.html` and `report.csv` of `name`
/// into `dir`; returns their paths.
pub async fn write_all(
    channel: Authed,
    name: &str,
    dir: &Path,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut api = PeriodReportServiceClient::new(channel);
    let mut out = Vec::new();
    for (language, format, file) in [
        (Language::Vi, RenderFormat::Html, "report.vi.html"),
        (Language::En, RenderFormat::Html, "report.en.html"),
        (Language::En, RenderFormat::Csv, "report.csv"),
    ] {
        let rendered = api
            .render_report(RenderReportRequest {
                name: name.to_string(),
                language: language as i32,
                format: format as i32,
            })
            .await
            .map_err(status("RenderReport"))?
            .into_inner();
        let path = dir.join(file);
        std::fs::write(&path, &rendered.content)
            .with_context(|| format!("cannot write {}", path.display()))?;
        out.push(path);
    }
    Ok(out)
}
