//! The reports service beside members, study and oversight (four servers),
//! on every backend: bad requests are refused with the field named and
//! leave nothing behind; a service it reads being down refuses the issue
//! (UNAVAILABLE) and stores nothing; a reader reads and renders but does
//! not issue; lists page newest first; an issued report cannot be changed
//! where it is stored.

use probity_e2e::Stack;
use probity_platform::testing::{Authed, backends};
use probity_proto::{
    google::r#type::Date,
    probity::{
        members::v1::OrganizationKind,
        reports::v1::{
            self as r, IssueReportRequest, period_report_service_client::PeriodReportServiceClient,
        },
    },
};
use tonic::Code;
use tonic_types::StatusExt;

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

fn request(org: &str, request_id: &str) -> IssueReportRequest {
    IssueReportRequest {
        organization: org.into(),
        period_start: date(2024, 1, 1),
        period_end: date(2025, 12, 31),
        request_id: request_id.into(),
        ..Default::default()
    }
}

async fn audit_entries(channel: Authed) -> usize {
    r::audit_service_client::AuditServiceClient::new(channel)
        .list_audit_entries(r::ListAuditEntriesRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries
        .len()
}

fn fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn bad_requests_name_their_field_and_leave_nothing() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;
        let province = stack.org("", "TU", OrganizationKind::Province).await;
        let mut reports = PeriodReportServiceClient::new(stack.reports_admin());
        let cases: [(IssueReportRequest, &str); 5] = [
            (
                IssueReportRequest {
                    period_end: date(2023, 12, 31),
                    ..request(&province, "")
                },
                "period_end",
            ),
            (
                IssueReportRequest {
                    as_of: date(2999, 1, 1),
                    ..request(&province, "")
                },
                "as_of",
            ),
            (
                IssueReportRequest {
                    definition: "reportDefinitions/nothing".into(),
                    ..request(&province, "")
                },
                "definition",
            ),
            (
                IssueReportRequest {
                    period_start: None,
                    ..request(&province, "")
                },
                "period_start",
            ),
            (request("organisations/x", ""), "organization"),
        ];
        for (bad, field) in cases {
            let status = reports.issue_report(bad).await.unwrap_err();
            assert_eq!(
                status.code(),
                Code::InvalidArgument,
                "{backend}: {status:?}"
            );
            assert_eq!(fields(&status), [field], "{backend}: {status:?}");
        }
        let listed = reports
            .list_reports(r::ListReportsRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert!(listed.reports.is_empty(), "{backend}");
        assert_eq!(audit_entries(stack.reports_admin()).await, 0, "{backend}");
    }
}

#[tokio::test]
async fn a_source_down_refuses_the_issue_and_stores_nothing() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;
        let province = stack.org("", "TU", OrganizationKind::Province).await;
        let Stack {
            reports, oversight, ..
        } = stack;
        oversight.server.shutdown().await.unwrap();
        let mut api = PeriodReportServiceClient::new(reports.admin());
        let status = api
            .issue_report(request(&province, "down"))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{backend}: {status:?}");
        assert!(
            status.message().contains("oversight"),
            "{}",
            status.message()
        );
        assert!(
            api.list_reports(r::ListReportsRequest::default())
                .await
                .unwrap()
                .into_inner()
                .reports
                .is_empty()
        );
        assert_eq!(audit_entries(reports.admin()).await, 0, "{backend}");
    }
}

#[tokio::test]
async fn a_reader_reads_and_renders_but_does_not_issue_and_lists_page() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;
        let province = stack.org("", "TU", OrganizationKind::Province).await;
        let district = stack.org(&province, "H1", OrganizationKind::District).await;
        let mut admin = PeriodReportServiceClient::new(stack.reports_admin());
        let mut issued = Vec::new();
        for (org, id) in [(&province, "a"), (&district, "b"), (&province, "c")] {
            issued.push(
                admin
                    .issue_report(request(org, id))
                    .await
                    .unwrap_or_else(|e| panic!("{backend}: {e:?}"))
                    .into_inner(),
            );
        }
        // Newest first, two a page.
        let first = admin
            .list_reports(r::ListReportsRequest {
                page_size: 2,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let second = admin
            .list_reports(r::ListReportsRequest {
                page_size: 2,
                page_token: first.next_page_token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let names: Vec<&str> = first
            .reports
            .iter()
            .chain(&second.reports)
            .map(|r| r.name.as_str())
            .collect();
        let expected: Vec<&str> = issued.iter().rev().map(|r| r.name.as_str()).collect();
        assert_eq!(names, expected, "{backend}");
        assert!(second.next_page_token.is_empty());
        assert!(first.reports.iter().all(|r| r.sections.is_empty()));

        // A reader of the district: its report, not the province's.
        let district_id = district.rsplit('/').next().unwrap();
        let token = stack.reports.token("reader", &["reader"], &[district_id]);
        let mut reader = PeriodReportServiceClient::new(stack.reports.with_token(&token));
        let listed = reader
            .list_reports(r::ListReportsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .reports;
        assert_eq!(listed.len(), 1, "{backend}");
        assert_eq!(listed[0].name, issued[1].name);
        let csv = reader
            .render_report(r::RenderReportRequest {
                name: issued[1].name.clone(),
                format: r::RenderFormat::Csv as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(csv.content_type.starts_with("text/csv"));
        assert!(
            String::from_utf8(csv.content)
                .unwrap()
                .starts_with("section,key,")
        );
        let hidden = reader
            .get_report(r::GetReportRequest {
                name: issued[0].name.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(hidden.code(), Code::NotFound, "{backend}");
        let refused = reader
            .issue_report(request(&district, "reader"))
            .await
            .unwrap_err();
        assert_eq!(
            refused.code(),
            Code::PermissionDenied,
            "{backend}: {refused:?}"
        );

        // Stored once: the database refuses to change an issued report.
        let mut conn = stack.reports.db.pool().acquire().await.unwrap();
        let changed = sqlx::query("UPDATE reports SET digest = 'x'")
            .execute(&mut *conn)
            .await;
        assert!(changed.is_err(), "{backend}: an issued report was changed");
        let removed = sqlx::query("DELETE FROM reports").execute(&mut *conn).await;
        assert!(removed.is_err(), "{backend}: an issued report was removed");
    }
}
