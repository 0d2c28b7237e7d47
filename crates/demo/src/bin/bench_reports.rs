//! Times the reports service on the seed scenario against a trivial read
//! of the same server measured in the same run (GetOrganization of the
//! province): issuing the province's period report (every figure read
//! from study, members and oversight, and the consistency check comparing
//! both rosters of 32,986), verifying it, the consistency check alone, and
//! rendering it as HTML.
//!
//! `bench-reports [--addr http://127.0.0.1:50051] [--data-dir ./data]
//! [--runs 7]` against a running `probity up` (its development token is
//! read from the data folder); the seed scenario is loaded first when the
//! server has no plan.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use probity_platform::client::{Authed, with_token};
use probity_proto::probity::{
    members::v1::{GetOrganizationRequest, organization_service_client::OrganizationServiceClient},
    reports::v1::{
        CheckConsistencyRequest, IssueReportRequest, RenderReportRequest, VerifyReportRequest,
        consistency_service_client::ConsistencyServiceClient,
        period_report_service_client::PeriodReportServiceClient,
    },
    study::v1::{ListPlansRequest, plan_service_client::PlanServiceClient},
};

struct Args {
    addr: String,
    data_dir: String,
    runs: usize,
}

fn parse_args() -> Result<Args> {
    let mut out = Args {
        addr: "http://127.0.0.1:50051".into(),
        data_dir: "./data".into(),
        runs: 7,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--addr" => out.addr = value,
            "--data-dir" => out.data_dir = value,
            "--runs" => out.runs = value.parse::<usize>()?.max(1),
            other => bail!("unknown flag {other}; see the doc comment of bench_reports.rs"),
        }
    }
    Ok(out)
}

/// The median of `runs` timings of `call`, in milliseconds.
async fn median<F, Fut>(runs: usize, mut call: F) -> Result<f64>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs {
        let started = Instant::now();
        call(i).await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let token = std::fs::read_to_string(format!("{}/dev-token", args.data_dir))
        .context("the development token of `probity up` in --data-dir")?;
    let channel = tonic::transport::Channel::from_shared(args.addr.clone())?
        .connect()
        .await
        .with_context(|| format!("cannot reach {}", args.addr))?;
    let authed: Authed = with_token(channel, token.trim()).context("token")?;
    let plans = PlanServiceClient::new(authed.clone())
        .list_plans(ListPlansRequest::default())
        .await?
        .into_inner()
        .plans;
    let province = match plans.first() {
        Some(plan) => plan.scope.clone(),
        None => {
            eprintln!("loading the seed scenario…");
            let outcome = probity_demo::seed::seed_scenario(authed.clone(), authed.clone()).await?;
            probity_demo::seed_oversight(authed.clone(), authed.clone(), &outcome.province).await?;
            outcome.province
        }
    };
    let request = |i: usize| IssueReportRequest {
        request_id: format!("bench-{}-{i}", std::process::id()),
        ..probity_demo::seed::period_report_request(&province)
    };
    let runs = args.runs;
    let orgs = OrganizationServiceClient::new(authed.clone());
    let reports = PeriodReportServiceClient::new(authed.clone());
    let consistency = ConsistencyServiceClient::new(authed.clone());
    let get = median(runs * 5, |_| {
        let mut c = orgs.clone();
        let name = province.clone();
        async move {
            c.get_organization(GetOrganizationRequest { name }).await?;
            Ok(())
        }
    })
    .await?;
    let mut issued = Vec::new();
    let issue = {
        let mut total = Vec::new();
        for i in 0..runs {
            let started = Instant::now();
            let r = reports.clone().issue_report(request(i)).await?.into_inner();
            total.push(started.elapsed().as_secs_f64() * 1000.0);
            issued.push(r.name);
        }
        total.sort_by(f64::total_cmp);
        total[total.len() / 2]
    };
    let name = issued[0].clone();
    let verify = median(runs, |_| {
        let mut c = reports.clone();
        let name = name.clone();
        async move {
            c.verify_report(VerifyReportRequest { name }).await?;
            Ok(())
        }
    })
    .await?;
    let check = median(runs, |_| {
        let mut c = consistency.clone();
        let organization = province.clone();
        async move {
            c.check_consistency(CheckConsistencyRequest {
                organization,
                ..Default::default()
            })
            .await?;
            Ok(())
        }
    })
    .await?;
    let render = median(runs, |_| {
        let mut c = reports.clone();
        let name = name.clone();
        async move {
            c.render_report(RenderReportRequest {
                name,
                ..Default::default()
            })
            .await?;
            Ok(())
        }
    })
    .await?;
    println!("| the seed province's period report | median ms | × GetOrganization |");
    println!("| --- | --- | --- |");
    println!("| GetOrganization (the baseline) | {get:.2} | 1 |");
    for (what, ms) in [
        (
            "IssueReport (figures from three services, consistency check, stored)",
            issue,
        ),
        ("VerifyReport (every input read again, compared)", verify),
        ("CheckConsistency (both rosters of 32,986 compared)", check),
        ("RenderReport, HTML with the SVG chart", render),
    ] {
        println!("| {what} | {ms:.1} | {:.0} |", ms / get);
    }
    Ok(())
}
