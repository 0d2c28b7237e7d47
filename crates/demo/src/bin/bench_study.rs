//! Benchmarks the study service on the seed scenario, through the API.
//!
//! For each backend — embedded SQLite always, PostgreSQL when
//! `PROBITY_BENCH_POSTGRES_URL` is set — it starts members and study
//! in-process on loopback ports over fresh databases (study calling members
//! over gRPC, as deployed), then measures:
//! - loading the seed scenario (the province, then the plan's classes,
//!   attendance, non-members, reports and visits);
//! - GetPlanProgress over it, against a trivial read (GetPlan) measured in
//!   the same run;
//! - recording a class of 300 members: one StreamAttendance call against
//!   300 RecordAttendance calls of one member each.
//!
//! `bench-study [--runs N]`

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures::stream;
use probity_demo::bench::{ms, start_service, time};
use probity_demo::seed::{figures, seed_scenario};
use probity_platform::{
    auth::{Issuer, ROLE_ADMIN},
    client::{Authed, with_token},
};
use probity_proto::{
    google::r#type::Date,
    probity::{
        members::v1::{StreamRosterRequest, member_service_client::MemberServiceClient},
        study::v1::{
            AttendanceEntry, ClassFormat, CreateClassRequest, GetPlanProgressRequest,
            GetPlanRequest, ListPlansRequest, RecordAttendanceRequest, StreamAttendanceRequest,
            StudyClass, class_service_client::ClassServiceClient,
            plan_service_client::PlanServiceClient,
        },
    },
};

/// mimalloc instead of the system allocator: the services allocate many
/// small, short-lived values across threads (rows, messages), where
/// glibc's allocator showed as ~17 % of the seed load's samples under
/// `perf`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn wait_ready(channel: &Authed) {
    let mut plans = PlanServiceClient::new(channel.clone());
    let mut members = MemberServiceClient::new(channel.clone());
    for _ in 0..400 {
        let a = plans.list_plans(ListPlansRequest::default()).await.is_ok();
        let b = members
            .list_members(probity_proto::probity::members::v1::ListMembersRequest::default())
            .await
            .is_err_and(|s| s.code() == tonic::Code::InvalidArgument);
        if a || b {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn bench(label: &str, urls: (&str, &str), runs: usize) -> Result<()> {
    let key = Issuer::generate();
    let members = start_service(&key, urls.0, "bench_members", |b, db| {
        probity_members::register(b, db).map_err(|e| anyhow::anyhow!("{e:?}"))
    })
    .await?;
    let peer = probity_study::MembersPeer::connect_lazy(&members.url(), None)
        .map_err(|e| anyhow::anyhow!(e))?;
    let study = start_service(&key, urls.1, "bench_study", |b, db| {
        probity_study::register(b, db, peer).map_err(|e| anyhow::anyhow!("{e:?}"))
    })
    .await?;
    let token = probity_demo::bench::token(&key, "bench", ROLE_ADMIN);
    let channel = |url: String| -> Result<Authed> {
        with_token(
            tonic::transport::Channel::from_shared(url)?.connect_lazy(),
            &token,
        )
        .context("token")
    };
    let to_members = channel(members.url())?;
    let to_study = channel(study.url())?;
    wait_ready(&to_members).await;
    wait_ready(&to_study).await;

    let start = Instant::now();
    let outcome = seed_scenario(to_members.clone(), to_study.clone()).await?;
    let load = start.elapsed();

    let mut plans = PlanServiceClient::new(to_study.clone());
    let check = plans
        .get_plan_progress(GetPlanProgressRequest {
            plan: outcome.plan.clone(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .total
        .unwrap_or_default();
    let rate = check.attendance.clone().unwrap_or_default();
    if rate.numerator != figures::ATTENDED || rate.denominator != figures::ELIGIBLE {
        bail!("the scenario's figures are off: {check:?}");
    }
    let baseline = time(runs, || {
        let mut plans = plans.clone();
        let name = outcome.plan.clone();
        async move {
            plans.get_plan(GetPlanRequest { name }).await?;
            Ok(())
        }
    })
    .await?;
    let progress = time(runs, || {
        let mut plans = plans.clone();
        let plan = outcome.plan.clone();
        async move {
            plans
                .get_plan_progress(GetPlanProgressRequest {
                    plan,
                    ..Default::default()
                })
                .await?;
            Ok(())
        }
    })
    .await?;

    // A class of 300: the first 300 members of a grassroots organisation on
    // a day of the period, recorded both ways into two classes.
    let grassroots = {
        let mut orgs = probity_proto::probity::members::v1::organization_service_client::OrganizationServiceClient::new(to_members.clone());
        let list = orgs
            .list_organizations(
                probity_proto::probity::members::v1::ListOrganizationsRequest {
                    parent: outcome.province.clone(),
                    include_subtree: true,
                    page_size: 50,
                    ..Default::default()
                },
            )
            .await?
            .into_inner()
            .organizations;
        list.into_iter()
            .find(|o| {
                o.kind == probity_proto::probity::members::v1::OrganizationKind::Grassroots as i32
            })
            .context("a grassroots organisation")?
            .name
    };
    let day = Date {
        year: 2017,
        month: 2,
        day: 20,
    };
    let mut roster = MemberServiceClient::new(to_members.clone())
        .stream_roster(StreamRosterRequest {
            organization: grassroots.clone(),
            as_of: Some(day),
            exclude_exempt: true,
        })
        .await?
        .into_inner();
    let mut people = Vec::new();
    while let Some(r) = roster.message().await? {
        people.push(r.member);
        if people.len() == 300 {
            break;
        }
    }
    drop(roster);
    let entries: Vec<AttendanceEntry> = people
        .iter()
        .map(|m| AttendanceEntry {
            member: m.clone(),
            status: "present".into(),
            remark: String::new(),
        })
        .collect();
    let mut classes = ClassServiceClient::new(to_study.clone());
    let new_class = |title: &str| {
        let mut classes = classes.clone();
        let request = CreateClassRequest {
            study_class: Some(StudyClass {
                plan: outcome.plan.clone(),
                organization: grassroots.clone(),
                title: title.into(),
                start_time: Some(prost_types::Timestamp {
                    seconds: 1_487_552_400, // 2017-02-20 08:00 in Vietnam
                    nanos: 0,
                }),
                format: ClassFormat::InPerson as i32,
                venue: "Hội trường".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        };
        async move {
            classes
                .create_class(request)
                .await
                .map(|r| r.into_inner().name)
        }
    };
    let streamed_class = new_class("Lớp ghi danh một lần").await?;
    let unary_class = new_class("Lớp ghi danh từng người").await?;
    let start = Instant::now();
    classes
        .stream_attendance(stream::iter(vec![StreamAttendanceRequest {
            study_class: streamed_class,
            entries: entries.clone(),
            request_id: String::new(),
        }]))
        .await?;
    let streamed = start.elapsed();
    let start = Instant::now();
    for e in &entries {
        classes
            .record_attendance(RecordAttendanceRequest {
                study_class: unary_class.clone(),
                entries: vec![e.clone()],
                request_id: String::new(),
            })
            .await?;
    }
    let unary = start.elapsed();

    println!("\n## {label}");
    println!(
        "seed scenario: {} members, {} classes, {} attendance entries, {} reports",
        outcome.members, outcome.classes, outcome.attendance_entries, outcome.reports
    );
    println!(
        "load: province {:.1} s (organisations {:.1} s, members with their cell secretaries in batches of 1,000 {:.1} s); study part (events, plan and roster, classes, attendance, non-members, closing, reports, visits) {:.1} s; total {:.1} s",
        outcome.province_seconds,
        outcome.province_phases[0],
        outcome.province_phases[1],
        outcome.study_seconds,
        load.as_secs_f64()
    );
    for (phase, seconds) in &outcome.study_phases {
        println!("  study part, {phase}: {seconds:.2} s");
    }
    println!("baseline, GetPlan (median of {runs}): {}", ms(baseline));
    println!(
        "GetPlanProgress over the province ({} / {} = {}%): {} ({:.1}x baseline)",
        rate.numerator,
        rate.denominator,
        rate.percent,
        ms(progress),
        progress.as_secs_f64() / baseline.as_secs_f64()
    );
    println!(
        "class of {}: one StreamAttendance {}; {} RecordAttendance calls {} ({:.1}x the stream)",
        entries.len(),
        ms(streamed),
        entries.len(),
        ms(unary),
        unary.as_secs_f64() / streamed.as_secs_f64()
    );
    study.shutdown().await?;
    members.shutdown().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let _ = probity_platform::logging::init(
        &std::env::var("BENCH_LOG").unwrap_or_else(|_| "off".into()),
    );
    let mut runs = 20;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--runs" => {
                runs = args
                    .next()
                    .context("--runs needs a value")?
                    .parse()
                    .context("--runs needs a number")?
            }
            other => bail!("unknown flag {other}; see the doc comment of bench_study.rs"),
        }
    }
    let dir = tempfile::tempdir()?;
    let members = format!("sqlite://{}/members.db", dir.path().display());
    let study = format!("sqlite://{}/study.db", dir.path().display());
    bench("embedded SQLite", (&members, &study), runs).await?;
    if let Ok(url) = std::env::var("PROBITY_BENCH_POSTGRES_URL")
        && !url.is_empty()
    {
        bench("PostgreSQL", (&url, &url), runs).await?;
    }
    Ok(())
}
