//! Reports sent up the tree (four servers), on every backend: two
//! districts under a province study the province's plan; each district
//! issues its period report and submits it; the province sees which units
//! submitted, on time or late, and the aggregate of their figures equals
//! the province's own figures computed directly — until a unit is
//! missing, which is listed with the difference it makes. Small counts
//! are withheld in the published aggregate.

use probity_e2e::Stack;
use probity_platform::{Clock, dates, testing::backends};
use probity_proto::google::r#type::Date;
use probity_proto::probity::{
    members::v1::{self as m, OrganizationKind, member_service_client::MemberServiceClient},
    reports::v1::{
        self as r, SubmissionState, period_report_service_client::PeriodReportServiceClient,
        submission_service_client::SubmissionServiceClient,
    },
    study::v1::{
        CreateClassRequest, RecordAttendanceRequest, class_service_client::ClassServiceClient,
        plan_service_client::PlanServiceClient,
    },
};
use requests::{class, date, entry, plan_request};
use tonic::Code;

#[path = "../services/study/tests/common/requests.rs"]
mod requests;

/// `make` given the organisation and the period 2016 – 2021.
fn period<T>(org: &str, make: impl FnOnce(String, Option<Date>, Option<Date>) -> T) -> T {
    make(org.to_string(), date(2016, 1, 1), date(2021, 12, 31))
}

#[tokio::test]
async fn units_submit_and_the_committee_above_sees_them_and_their_sum() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;
        let tu = stack.org("", "TU", OrganizationKind::Province).await;
        let mut districts = Vec::new();
        let mut cells = Vec::new();
        for code in ["H1", "H2"] {
            let d = stack.org(&tu, code, OrganizationKind::District).await;
            let g = stack
                .org(&d, &format!("{code}-G"), OrganizationKind::Grassroots)
                .await;
            cells.push(
                stack
                    .org(&g, &format!("{code}-C"), OrganizationKind::Cell)
                    .await,
            );
            districts.push(d);
        }
        // Seven members in H1's cell, three in H2's: H2's small counts
        // are withheld in the published aggregate.
        let mut people = MemberServiceClient::new(stack.members_admin());
        let mut members: Vec<Vec<String>> = vec![Vec::new(), Vec::new()];
        for (i, n) in [7, 3].into_iter().enumerate() {
            for k in 0..n {
                members[i].push(
                    people
                        .create_member(m::CreateMemberRequest {
                            member: Some(m::Member {
                                party_card_number: format!("94{i}0000{k}"),
                                full_name: format!("Đảng viên {i}-{k}"),
                                date_of_birth: date(1980, 1, 1 + k),
                                gender: m::Gender::Female as i32,
                                organization: cells[i].clone(),
                                admission_date: date(2010, 3, 1),
                                ..Default::default()
                            }),
                            official_date: date(2011, 3, 1),
                            request_id: String::new(),
                        })
                        .await
                        .unwrap()
                        .into_inner()
                        .name,
                );
            }
        }
        let doc = stack.document().await;
        let plan = PlanServiceClient::new(stack.study_admin())
            .create_plan(plan_request(&tu, vec![doc]))
            .await
            .unwrap()
            .into_inner();
        let mut classes = ClassServiceClient::new(stack.study_admin());
        for (i, cell) in cells.iter().enumerate() {
            let held = classes
                .create_class(CreateClassRequest {
                    study_class: Some(class(&plan.name, cell, "Hội nghị chi bộ", (2016, 12, 10))),
                    request_id: String::new(),
                })
                .await
                .unwrap()
                .into_inner();
            // Everyone attends but one member of H1.
            let attending = &members[i][usize::from(i == 0)..];
            classes
                .record_attendance(RecordAttendanceRequest {
                    study_class: held.name,
                    entries: attending.iter().map(|m| entry(m, "present")).collect(),
                    request_id: String::new(),
                })
                .await
                .unwrap();
        }

        let mut reports = PeriodReportServiceClient::new(stack.reports_admin());
        let mut submissions = SubmissionServiceClient::new(stack.reports_admin());
        let issue = |org: &str| {
            period(org, |organization, period_start, period_end| {
                r::IssueReportRequest {
                    organization,
                    period_start,
                    period_end,
                    ..Default::default()
                }
            })
        };
        let h1 = reports
            .issue_report(issue(&districts[0]))
            .await
            .unwrap()
            .into_inner();
        let submitted = submissions
            .submit_report(r::SubmitReportRequest {
                report: h1.name.clone(),
                request_id: "h1".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(submitted.to_organization, tu, "{backend}");
        assert!(submitted.late, "{backend}: due 15/01/2022");
        assert_eq!(submitted.due_date, date(2022, 1, 15));
        assert!(!submitted.deadline_rule.is_empty());

        let list = |org: &str| {
            period(org, |organization, period_start, period_end| {
                r::ListSubmissionsRequest {
                    organization,
                    period_start,
                    period_end,
                }
            })
        };
        let standing = submissions
            .list_submissions(list(&tu))
            .await
            .unwrap()
            .into_inner();
        let states: Vec<i32> = standing.units.iter().map(|u| u.state).collect();
        assert_eq!(
            states,
            [
                SubmissionState::Late as i32,
                SubmissionState::Missing as i32
            ],
            "{backend}"
        );
        let aggregate = |org: &str| {
            period(org, |organization, period_start, period_end| {
                r::GetSubmissionAggregateRequest {
                    organization,
                    period_start,
                    period_end,
                    threshold: 0,
                }
            })
        };
        let partial = submissions
            .get_submission_aggregate(aggregate(&tu))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(partial.units_missing, [districts[1].clone()], "{backend}");
        let attendance = format!("plan/{}/attendance", plan.name);
        let diff = partial
            .differences
            .iter()
            .find(|d| d.key == attendance)
            .expect("the missing unit's members make a difference");
        assert_eq!(
            (diff.submitted.as_str(), diff.direct.as_str()),
            ("6/7 (85.71 %)", "9/10 (90.00 %)"),
            "{backend}"
        );
        assert!(diff.cause.contains(&districts[1]), "{}", diff.cause);

        // H2 submits: the sum equals the province's own figures.
        let h2 = reports
            .issue_report(issue(&districts[1]))
            .await
            .unwrap()
            .into_inner();
        submissions
            .submit_report(r::SubmitReportRequest {
                report: h2.name.clone(),
                request_id: "h2".into(),
            })
            .await
            .unwrap();
        let whole = submissions
            .get_submission_aggregate(aggregate(&tu))
            .await
            .unwrap()
            .into_inner();
        assert!(whole.units_missing.is_empty(), "{backend}");
        assert!(
            whole.differences.is_empty(),
            "{backend}: {:#?}",
            whole.differences
        );
        assert!(
            !whole.unchecked.is_empty(),
            "oversight's zero counts are suppressed at source"
        );
        let figure = whole.figures.iter().find(|f| f.key == attendance).unwrap();
        assert_eq!(figure.total.as_ref().unwrap().display, "9/10 (90.00 %)");
        let cells: Vec<&str> = figure.by_unit.iter().map(|c| c.display.as_str()).collect();
        assert_eq!(
            cells,
            ["x", "<5"],
            "{backend}: H2's 3 withheld, and H1's 6 with it"
        );
        assert_eq!(whole.threshold, 5);
        assert!(!whole.suppression_rule.is_empty());
        let standing = submissions
            .list_submissions(list(&tu))
            .await
            .unwrap()
            .into_inner();
        assert!(
            standing
                .units
                .iter()
                .all(|u| u.state == SubmissionState::Late as i32)
        );

        // A period ending yesterday is due in two weeks: on time.
        let today = Clock::system().today();
        let recent = r::IssueReportRequest {
            organization: districts[0].clone(),
            period_start: Some(dates::to_proto(dates::add_days(today, -30))),
            period_end: Some(dates::to_proto(dates::add_days(today, -1))),
            ..Default::default()
        };
        let fresh = reports
            .issue_report(recent.clone())
            .await
            .unwrap()
            .into_inner();
        let on_time = submissions
            .submit_report(r::SubmitReportRequest {
                report: fresh.name,
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(!on_time.late, "{backend}");
        let recent_standing = submissions
            .list_submissions(r::ListSubmissionsRequest {
                organization: tu.clone(),
                period_start: recent.period_start,
                period_end: recent.period_end,
            })
            .await
            .unwrap()
            .into_inner();
        let states: Vec<i32> = recent_standing.units.iter().map(|u| u.state).collect();
        assert_eq!(
            states,
            [
                SubmissionState::OnTime as i32,
                SubmissionState::NotDue as i32
            ],
            "{backend}"
        );

        // A root submits to no one; a district sees only its own standing.
        let province = reports.issue_report(issue(&tu)).await.unwrap().into_inner();
        let err = submissions
            .submit_report(r::SubmitReportRequest {
                report: province.name,
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{backend}");
        let h2_id = districts[1].rsplit('/').next().unwrap();
        let token = stack.reports.token("h2", &["steering-committee"], &[h2_id]);
        let mut h2_side = SubmissionServiceClient::new(stack.reports.with_token(&token));
        let err = h2_side.list_submissions(list(&tu)).await.unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}");
        let err = h2_side
            .submit_report(r::SubmitReportRequest {
                report: h1.name.clone(),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}: not H2's report");
    }
}
