//! Benchmarks the oversight service through the API.
//!
//! For each backend — embedded SQLite always, PostgreSQL when
//! `PROBITY_BENCH_POSTGRES_URL` is set — it starts members and oversight
//! in-process on loopback ports over fresh databases (oversight calling
//! members over gRPC, as deployed), loads a province and `--cases` cases
//! spread over its districts (half of them designated for monitoring), then
//! times, as the median of `--runs` calls each, against a trivial read of
//! the same service measured in the same run (GetAgency):
//! - GetCase; the first page (100) of ListCases over the province; the
//!   overdue list (ListMonitoredCases); the province's case statistics;
//! - recording a case (CreateCase, subjects checked with members) against
//!   a trivial write of the same service (CreateAgency);
//! - a whistleblower report: its intake with a sealed identity and a
//!   receipt code hashed with Argon2id at the production cost
//!   (CreateReport, against CreateAgency), its follow-up by receipt code
//!   without a token (CheckReport, one Argon2id check, against GetAgency)
//!   and a reveal by a protection officer (against GetAgency).
//!
//! `bench-oversight [--runs N] [--cases N]`

use std::time::Duration;

use anyhow::{Context, Result, bail};
use probity_demo::{
    ProvinceSpec,
    bench::{ms, start_service, time},
    generate_province,
};
use probity_platform::{
    auth::{Issuer, ROLE_ADMIN},
    client::{Authed, with_token},
};
use probity_proto::{
    google::r#type::Date,
    probity::{
        members::v1::{
            ListOrganizationsRequest, organization_service_client::OrganizationServiceClient,
        },
        oversight::v1::{
            AccusedPerson, Agency, AgencyKind, AgencyLevel, Case, CaseIntake, CaseKind, CaseOrigin,
            CaseSubject, CheckReportRequest, CreateAgencyRequest, CreateCaseRequest,
            CreateReportRequest, DesignateCaseRequest, DesignatingBody, Designation,
            DesignationCriterion, GetAgencyRequest, GetCaseRequest, GetCaseStatisticsRequest,
            ListCasesRequest, ListMonitoredCasesRequest, MonitoringCondition, Report,
            ReportCategory, ReportChannel, ReporterIdentity, RevealReporterIdentityRequest,
            agency_service_client::AgencyServiceClient, case_service_client::CaseServiceClient,
            monitoring_service_client::MonitoringServiceClient,
            protection_service_client::ProtectionServiceClient,
            receipt_service_client::ReceiptServiceClient,
            report_service_client::ReportServiceClient,
            statistics_service_client::StatisticsServiceClient,
        },
    },
};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn day(y: i32, m: i32, d: i32) -> Option<Date> {
    Some(Date {
        year: y,
        month: m,
        day: d,
    })
}

/// A case of `district` numbered `i`, received in 2024.
fn case(district: &str, agency: &str, i: usize) -> Case {
    Case {
        code: format!("BENCH-{i}"),
        title: format!("Vụ việc thử {i}"),
        kind: CaseKind::Incident as i32,
        sector: "sectors/land".into(),
        jurisdiction: district.into(),
        handling_agencies: vec![agency.into()],
        subjects: vec![CaseSubject {
            full_name: format!("Người thứ {i}"),
            position: "Cán bộ".into(),
            ..Default::default()
        }],
        loss_vnd: 1_000_000,
        intakes: vec![CaseIntake {
            origin: CaseOrigin::Press as i32,
            origin_reference: format!("Báo {i}"),
            received_date: day(2024, 1 + (i % 12) as i32, 1 + (i % 28) as i32),
            summary: "Phản ánh".into(),
        }],
        ..Default::default()
    }
}

async fn bench(label: &str, urls: (&str, &str), runs: usize, cases: usize) -> Result<()> {
    let key = Issuer::generate();
    let members = start_service(&key, urls.0, "bench_members", |b, db| {
        probity_members::register(b, db).map_err(|e| anyhow::anyhow!("{e:?}"))
    })
    .await?;
    let peer = probity_oversight::MembersPeer::connect_lazy(&members.url(), None)
        .map_err(|e| anyhow::anyhow!(e))?;
    let oversight = start_service(&key, urls.1, "bench_oversight", |b, db| {
        probity_oversight::register(b, db, peer).map_err(|e| anyhow::anyhow!("{e:?}"))
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
    let to_oversight = channel(oversight.url())?;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let spec = ProvinceSpec {
        members: 2_000,
        districts: 9,
        ..Default::default()
    };
    let province = generate_province(to_members.clone(), &spec).await?;
    let districts = OrganizationServiceClient::new(to_members.clone())
        .list_organizations(ListOrganizationsRequest {
            parent: province.province.clone(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .organizations;
    let mut agencies = AgencyServiceClient::new(to_oversight.clone());
    let police = agencies
        .create_agency(CreateAgencyRequest {
            agency: Some(Agency {
                code: "CSDT".into(),
                display_name: "Cơ quan CSĐT".into(),
                kind: AgencyKind::Investigation as i32,
                level: AgencyLevel::Province as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await?
        .into_inner()
        .name;
    let mut client = CaseServiceClient::new(to_oversight.clone());
    let mut monitoring = MonitoringServiceClient::new(to_oversight.clone());
    let started = std::time::Instant::now();
    let mut names = Vec::with_capacity(cases);
    for i in 0..cases {
        let district = &districts[i % districts.len()].name;
        let created = client
            .create_case(CreateCaseRequest {
                r#case: Some(case(district, &police, i)),
                request_id: String::new(),
            })
            .await?
            .into_inner();
        if i % 2 == 0 {
            monitoring
                .designate_case(DesignateCaseRequest {
                    parent: created.name.clone(),
                    designation: Some(Designation {
                        designated_by: DesignatingBody::SteeringCommittee as i32,
                        decision_number: format!("{i}-QĐ/BCĐ"),
                        decision_date: day(2024, 12, 1),
                        criteria: vec![DesignationCriterion::Serious as i32],
                        reason: "Nghiêm trọng".into(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await?;
        }
        names.push(created.name);
    }
    let load = started.elapsed();

    let baseline = time(runs, || {
        let mut agencies = agencies.clone();
        let name = police.clone();
        async move {
            agencies.get_agency(GetAgencyRequest { name }).await?;
            Ok(())
        }
    })
    .await?;
    let get = time(runs, || {
        let mut client = client.clone();
        let name = names[names.len() / 2].clone();
        async move {
            client.get_case(GetCaseRequest { name }).await?;
            Ok(())
        }
    })
    .await?;
    let first_page = time(runs, || {
        let mut client = client.clone();
        let organization = province.province.clone();
        async move {
            let page = client
                .list_cases(ListCasesRequest {
                    organization,
                    page_size: 100,
                    ..Default::default()
                })
                .await?
                .into_inner();
            if page.cases.len() != cases.min(100) {
                bail!("a page of {} cases", page.cases.len());
            }
            Ok(())
        }
    })
    .await?;
    let overdue = time(runs, || {
        let mut monitoring = monitoring.clone();
        let organization = province.province.clone();
        async move {
            monitoring
                .list_monitored_cases(ListMonitoredCasesRequest {
                    organization,
                    condition: MonitoringCondition::Overdue as i32,
                    page_size: 100,
                    ..Default::default()
                })
                .await?;
            Ok(())
        }
    })
    .await?;
    let statistics = time(runs, || {
        let mut stats = StatisticsServiceClient::new(to_oversight.clone());
        let organization = province.province.clone();
        async move {
            stats
                .get_case_statistics(GetCaseStatisticsRequest {
                    organization,
                    from_date: day(2024, 1, 1),
                    to_date: day(2024, 12, 31),
                    threshold: 0,
                })
                .await?;
            Ok(())
        }
    })
    .await?;
    let mut n = cases;
    let trivial_write = time(runs, || {
        n += 1;
        let mut agencies = agencies.clone();
        let code = format!("AG-{n}");
        async move {
            agencies
                .create_agency(CreateAgencyRequest {
                    agency: Some(Agency {
                        code,
                        display_name: "Cơ quan".into(),
                        kind: AgencyKind::Inspectorate as i32,
                        level: AgencyLevel::District as i32,
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await?;
            Ok(())
        }
    })
    .await?;
    let mut m = cases * 10;
    let write = time(runs, || {
        m += 1;
        let mut client = client.clone();
        let request = CreateCaseRequest {
            r#case: Some(case(&districts[0].name, &police, m)),
            request_id: String::new(),
        };
        async move {
            client.create_case(request).await?;
            Ok(())
        }
    })
    .await?;

    // Whistleblower reports: intake, follow-up, reveal.
    let filed = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let reports = ReportServiceClient::new(to_oversight.clone());
    let mut r = 0;
    let intake = time(runs, || {
        r += 1;
        let mut reports = reports.clone();
        let filed = filed.clone();
        let request = CreateReportRequest {
            report: Some(Report {
                organization: districts[0].name.clone(),
                channel: ReportChannel::Hotline as i32,
                category: ReportCategory::Denunciation as i32,
                content: format!("Tố cáo thử {r}"),
                accused: vec![AccusedPerson {
                    display_name: "Người bị tố cáo".into(),
                    ..Default::default()
                }],
                received_date: day(2024, 6, 1),
                ..Default::default()
            }),
            reporter: Some(ReporterIdentity {
                full_name: format!("Người tố cáo {r}"),
                phone: "0900000000".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        };
        async move {
            let created = reports.create_report(request).await?.into_inner();
            let name = created.report.map(|r| r.name).unwrap_or_default();
            filed.lock().unwrap().push((name, created.receipt_code));
            Ok(())
        }
    })
    .await?;
    let filed: Vec<(String, String)> = filed.lock().unwrap().clone();
    let open = ReceiptServiceClient::new(
        tonic::transport::Channel::from_shared(oversight.url())?.connect_lazy(),
    );
    let mut next = 0;
    let check = time(runs, || {
        let mut open = open.clone();
        let receipt_code = filed[next % filed.len()].1.clone();
        next += 1;
        async move {
            open.check_report(CheckReportRequest { receipt_code })
                .await?;
            Ok(())
        }
    })
    .await?;
    let custodian = with_token(
        tonic::transport::Channel::from_shared(oversight.url())?.connect_lazy(),
        &probity_demo::bench::token(&key, "custodian", "protection-officer"),
    )
    .context("token")?;
    let mut next = 0;
    let reveal = time(runs, || {
        let mut protection = ProtectionServiceClient::new(custodian.clone());
        let name = filed[next % filed.len()].0.clone();
        next += 1;
        async move {
            protection
                .reveal_reporter_identity(RevealReporterIdentityRequest {
                    name,
                    reason: "Đo hiệu năng: xác minh nhân thân".into(),
                })
                .await?;
            Ok(())
        }
    })
    .await?;

    let ratio = |d: Duration, base: Duration| d.as_secs_f64() / base.as_secs_f64();
    println!("\n## {label}");
    println!(
        "load: {cases} cases over {} districts (half designated) in {:.1} s ({:.1} ms a case with its designation)",
        districts.len(),
        load.as_secs_f64(),
        load.as_secs_f64() * 1000.0 / cases as f64
    );
    println!(
        "baseline read, GetAgency (median of {runs}): {}",
        ms(baseline)
    );
    println!("GetCase: {} ({:.1}x)", ms(get), ratio(get, baseline));
    println!(
        "ListCases, first page of 100 over the province: {} ({:.1}x)",
        ms(first_page),
        ratio(first_page, baseline)
    );
    println!(
        "ListMonitoredCases, overdue, page of 100: {} ({:.1}x)",
        ms(overdue),
        ratio(overdue, baseline)
    );
    println!(
        "GetCaseStatistics over the province: {} ({:.1}x)",
        ms(statistics),
        ratio(statistics, baseline)
    );
    println!("baseline write, CreateAgency: {}", ms(trivial_write));
    println!(
        "CreateCase: {} ({:.1}x the baseline write)",
        ms(write),
        ratio(write, trivial_write)
    );
    println!(
        "CreateReport, named (identity sealed, receipt hashed with Argon2id 19 MiB x 2): {} ({:.1}x the baseline write)",
        ms(intake),
        ratio(intake, trivial_write)
    );
    println!(
        "CheckReport by receipt code, no token (one Argon2id check): {} ({:.1}x the baseline read)",
        ms(check),
        ratio(check, baseline)
    );
    println!(
        "RevealReporterIdentity (opened, filed, audited): {} ({:.1}x the baseline read)",
        ms(reveal),
        ratio(reveal, baseline)
    );
    oversight.shutdown().await?;
    members.shutdown().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let _ = probity_platform::logging::init(
        &std::env::var("BENCH_LOG").unwrap_or_else(|_| "off".into()),
    );
    let mut runs = 20;
    let mut cases = 1_000;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut number = |name: &str| -> Result<usize> {
            args.next()
                .with_context(|| format!("{name} needs a value"))?
                .parse()
                .with_context(|| format!("{name} needs a number"))
        };
        match flag.as_str() {
            "--runs" => runs = number("--runs")?,
            "--cases" => cases = number("--cases")?,
            other => bail!("unknown flag {other}; see the doc comment of bench_oversight.rs"),
        }
    }
    let dir = tempfile::tempdir()?;
    let members = format!("sqlite://{}/members.db", dir.path().display());
    let oversight = format!("sqlite://{}/oversight.db", dir.path().display());
    bench("embedded SQLite", (&members, &oversight), runs, cases).await?;
    if let Ok(url) = std::env::var("PROBITY_BENCH_POSTGRES_URL")
        && !url.is_empty()
    {
        bench("PostgreSQL", (&url, &url), runs, cases).await?;
    }
    Ok(())
}
