//! `probity report issue|list|verify|render`: period reports through the
//! reports service's public API.

use std::{path::Path, process::ExitCode};

use anyhow::{Context, bail};
use probity_platform::client::Authed;
use probity_proto::{
    google::r#type::Date,
    probity::reports::v1::{
        CheckConsistencyRequest, FigureCheckOutcome, IssueReportRequest, Language,
        ListReportsRequest, ListSubmissionsRequest, PeriodReport, RenderFormat,
        RenderReportRequest, SubmissionState, SubmitReportRequest, VerifyReportRequest,
        consistency_service_client::ConsistencyServiceClient,
        period_report_service_client::PeriodReportServiceClient,
        submission_service_client::SubmissionServiceClient,
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
        ReportCommand::Submit { report, client } => {
            let s = SubmissionServiceClient::new(authed(&client, &client.addr)?)
                .submit_report(SubmitReportRequest {
                    report,
                    request_id: String::new(),
                })
                .await
                .map_err(status("SubmitReport"))?
                .into_inner();
            println!(
                "{} to {}: submitted {}, due {}{} ({})",
                s.name,
                s.to_organization,
                day(s.submitted_date),
                day(s.due_date),
                if s.late { ", LATE" } else { ", on time" },
                s.deadline_rule
            );
            Ok(ExitCode::SUCCESS)
        }
        ReportCommand::Submissions(p) => {
            let (Some(from), Some(to)) = (&p.from, &p.to) else {
                bail!("give the period: --from and --to");
            };
            let list = SubmissionServiceClient::new(authed(&p.client, &p.client.addr)?)
                .list_submissions(ListSubmissionsRequest {
                    organization: p.organization.clone(),
                    period_start: Some(date("from", from)?),
                    period_end: Some(date("to", to)?),
                })
                .await
                .map_err(status("ListSubmissions"))?
                .into_inner();
            println!("due {} ({})", day(list.due_date), list.deadline_rule);
            for u in list.units {
                let state = SubmissionState::try_from(u.state).unwrap_or_default();
                let state = state
                    .as_str_name()
                    .rsplit('_')
                    .next()
                    .unwrap_or_default()
                    .to_lowercase();
                let report = u.submission.map(|s| s.report).unwrap_or_default();
                println!("{}\t{}\t{state}\t{report}", u.organization, u.display_name);
            }
            Ok(ExitCode::SUCCESS)
        }
        ReportCommand::Check(p) => {
            let found = ConsistencyServiceClient::new(authed(&p.client, &p.client.addr)?)
                .check_consistency(CheckConsistencyRequest {
                    organization: p.organization.clone(),
                    period_start: p.from.as_deref().map(|d| date("from", d)).transpose()?,
                    period_end: p.to.as_deref().map(|d| date("to", d)).transpose()?,
                })
                .await
                .map_err(status("CheckConsistency"))?
                .into_inner();
            for c in &found.checks {
                println!(
                    "{}: {} compared, {} mismatches",
                    c.name, c.items_checked, c.mismatches
                );
            }
            for m in &found.mismatches {
                println!("- {}\n  fix: {}", m.description, m.fix);
            }
            println!("{} mismatches", found.mismatch_count);
            Ok(if found.mismatch_count == 0 {
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
            let (format, pdf) = match format.as_str() {
                "html" => (RenderFormat::Html, false),
                "csv" => (RenderFormat::Csv, false),
                "pdf" => (RenderFormat::Html, true),
                other => bail!("--format {other:?}: html, csv or pdf"),
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
            if pdf {
                let path = out.unwrap_or_else(|| {
                    rendered
                        .file_name
                        .trim_end_matches(".html")
                        .to_string()
                        .into()
                });
                let path = path.with_extension("pdf");
                print_pdf(&rendered.content, &path)?;
                println!("wrote {}", path.display());
                return Ok(ExitCode::SUCCESS);
            }
            let path = out.unwrap_or_else(|| rendered.file_name.clone().into());
            std::fs::write(&path, &rendered.content)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("wrote {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A date as `YYYY-MM-DD`.
fn day(d: Option<Date>) -> String {
    d.map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
        .unwrap_or_default()
}

/// Prints `html` to the PDF file `path` with headless Chromium (Debian's
/// package; `PROBITY_CHROMIUM` names another binary). No browser is
/// downloaded: without one installed this fails and says so.
fn print_pdf(html: &[u8], path: &Path) -> anyhow::Result<()> {
    let chromium = std::env::var("PROBITY_CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let dir = tempfile::tempdir().context("a temporary folder")?;
    let page = dir.path().join("report.html");
    std::fs::write(&page, html).context("cannot write the page")?;
    let target = std::path::absolute(path).context("the PDF's path")?;
    let run = std::process::Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", dir.path().join("profile").display()))
        .arg(format!("--print-to-pdf={}", target.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .with_context(|| {
            format!(
                "cannot run {chromium}: PDF needs headless Chromium (Debian: apt-get install chromium; or set PROBITY_CHROMIUM)"
            )
        })?;
    let written = std::fs::read(&target).unwrap_or_default();
    if !run.status.success() || !written.starts_with(b"%PDF") {
        bail!(
            "{chromium} did not print the PDF: {}",
            String::from_utf8_lossy(&run.stderr).trim()
        );
    }
    Ok(())
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
