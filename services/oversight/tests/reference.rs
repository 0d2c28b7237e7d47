//! Reference data, the agency registry, progress reports, the jobs and the
//! audit log through the real gRPC API, on every backend.

mod common;

use common::{World, backends, date, fields, reason};
use probity_proto::probity::oversight::v1::{
    Agency, AgencyKind, AgencyLevel, CaseStage, CreateAgencyRequest, CreateProgressReportRequest,
    GetCaseRequest, JobState, ListAgenciesRequest, ListJobsRequest, ListProgressReportsRequest,
    ListSectorsRequest, ListStageLimitsRequest, ProgressReport, RetryJobRequest,
    VerifyAuditChainRequest,
};
use tonic::Code;

#[tokio::test]
async fn the_sectors_and_stage_limits_come_from_the_cited_data_files() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let mut reference = world.reference();
        let prone = reference
            .list_sectors(ListSectorsRequest { prone_only: true })
            .await
            .unwrap()
            .into_inner();
        assert!(!prone.version.is_empty());
        assert!(prone.sectors.iter().all(|s| s.prone_to_corruption));
        assert!(prone.sectors.iter().any(|s| s.name == "sectors/land"));
        let all = reference
            .list_sectors(ListSectorsRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert!(all.sectors.len() > prone.sectors.len(), "{backend}");
        let limits = reference
            .list_stage_limits(ListStageLimitsRequest {})
            .await
            .unwrap()
            .into_inner()
            .limits;
        // Prosecution: the 2003 code's version, then the 2015 code's from
        // 2018, oldest first.
        let prosecution: Vec<_> = limits
            .iter()
            .filter(|l| l.stage == CaseStage::Prosecuting as i32)
            .collect();
        assert_eq!(prosecution.len(), 2, "{backend}");
        assert!(prosecution[0].citation.contains("Điều 166"));
        assert_eq!(prosecution[1].valid_from, date(2018, 1, 1));
        assert_eq!(prosecution[1].days, 30);
        assert!(prosecution[1].citation.contains("Điều 240"));
        assert!(limits.iter().all(|l| !l.citation.is_empty()));
    }
}

#[tokio::test]
async fn agencies_are_registered_once_by_code_and_only_by_an_admin() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let agency = Agency {
            code: "csdt-ca".into(),
            display_name: "Another".into(),
            kind: AgencyKind::Investigation as i32,
            level: AgencyLevel::Province as i32,
            ..Default::default()
        };
        let err = world
            .agencies()
            .create_agency(CreateAgencyRequest {
                agency: Some(agency.clone()),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::AlreadyExists, "{backend}");
        assert_eq!(reason(&err), "AGENCY_CODE_TAKEN");
        let err = world
            .agencies()
            .create_agency(CreateAgencyRequest {
                agency: Some(Agency::default()),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            fields(&err),
            [
                "agency.code",
                "agency.display_name",
                "agency.kind",
                "agency.level"
            ]
        );
        let mut officer =
            probity_proto::probity::oversight::v1::agency_service_client::AgencyServiceClient::new(
                world.officer(&["*"]),
            );
        let mut other = agency.clone();
        other.code = "TTT".into();
        let err = officer
            .create_agency(CreateAgencyRequest {
                agency: Some(other),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{backend}");
        // Listed by code, a page at a time, by kind.
        let first = officer
            .list_agencies(ListAgenciesRequest {
                page_size: 1,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(first.agencies[0].code, "CSDT-CA");
        let second = officer
            .list_agencies(ListAgenciesRequest {
                page_size: 1,
                page_token: first.next_page_token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(second.agencies[0].code, "VKS-TINH", "{backend}");
        assert!(second.next_page_token.is_empty());
        let courts = officer
            .list_agencies(ListAgenciesRequest {
                kind: AgencyKind::Court as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(courts.agencies.is_empty());
    }
}

#[tokio::test]
async fn a_handling_agencys_progress_report_adds_its_recovered_amount_to_the_case() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let case = world
            .create(world.case_in_a("VA-1", "Đơn 1"))
            .await
            .unwrap();
        let mut cases = world.cases(world.officer(&[&world.district_a]));
        let report = |agency: &str, amount: i64| CreateProgressReportRequest {
            parent: case.name.clone(),
            report: Some(ProgressReport {
                agency: agency.to_string(),
                report_date: date(2024, 4, 5),
                summary: "Đã thu hồi một phần tiền".into(),
                recovered_vnd: amount,
                ..Default::default()
            }),
            request_id: String::new(),
        };
        let err = cases
            .create_progress_report(report(&world.procuracy, 1))
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["report.agency"], "{backend}");
        for amount in [2_000_000_000, 500_000_000] {
            cases
                .create_progress_report(report(&world.police, amount))
                .await
                .unwrap();
        }
        let read = cases
            .get_case(GetCaseRequest {
                name: case.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(read.recovered_vnd, 2_500_000_000, "{backend}");
        assert_ne!(read.etag, case.etag);
        let reports = cases
            .list_progress_reports(ListProgressReportsRequest {
                parent: case.name.clone(),
                page_size: 1,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(reports.reports.len(), 1);
        assert_eq!(reports.reports[0].recovered_vnd, 2_000_000_000);
        assert!(!reports.next_page_token.is_empty(), "{backend}");
        let err = world
            .cases(world.officer(&[&world.district_b]))
            .list_progress_reports(ListProgressReportsRequest {
                parent: case.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}");
    }
}

#[tokio::test]
async fn jobs_are_listed_for_an_admin_and_only_a_failed_one_is_retried() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let mut jobs = world.jobs();
        let listed = jobs
            .list_jobs(ListJobsRequest {
                state: JobState::Failed as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(listed.jobs.is_empty(), "{backend}");
        let err = jobs
            .retry_job(RetryJobRequest {
                name: "jobs/12345".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}");
        let err = probity_proto::probity::oversight::v1::job_service_client::JobServiceClient::new(
            world.officer(&["*"]),
        )
        .list_jobs(ListJobsRequest::default())
        .await
        .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied);
    }
}

#[tokio::test]
async fn every_change_is_in_the_audit_chain() {
    for backend in backends() {
        let world = World::start(&backend).await;
        world
            .create(world.case_in_a("VA-1", "Đơn 1"))
            .await
            .unwrap();
        let verification = world
            .audit()
            .verify_audit_chain(VerifyAuditChainRequest {})
            .await
            .unwrap()
            .into_inner()
            .verification
            .unwrap();
        // The two agencies and the case.
        assert_eq!(verification.entries_checked, 3, "{backend}");
        assert!(verification.valid);
    }
}
