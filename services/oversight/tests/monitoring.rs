//! Monitoring through the real gRPC API, on every backend: designations
//! ("prolonged" from the clock), the monitored lists, directives and
//! urgings, and escalations recorded once per crossing by the job runner —
//! also with two replicas on one database.

mod common;

use std::time::Duration;

use common::{World, backends, date, fields, reason};
use probity_platform::testing::{TestOptions, TestServer};
use probity_proto::probity::oversight::v1::{
    Case, CaseStage, CreateDirectiveRequest, CreateProgressReportRequest, CreateUrgingRequest,
    DesignateCaseRequest, DesignatingBody, Designation, DesignationCriterion, Directive,
    EscalationThreshold, ExtendCaseDeadlineRequest, GetDesignationRequest, ListEscalationsRequest,
    ListJobsRequest, ListMonitoredCasesRequest, ListUrgingsRequest, MonitoringCondition,
    MoveCaseRequest, ProgressReport, RecordUrgingReplyRequest, Urging, UrgingState,
};
use tonic::Code;

fn designation(criteria: &[DesignationCriterion]) -> Designation {
    Designation {
        designated_by: DesignatingBody::SteeringCommittee as i32,
        decision_number: "12-QĐ/BCĐ".into(),
        decision_date: date(2024, 4, 10),
        criteria: criteria.iter().map(|c| *c as i32).collect(),
        reason: "Thiệt hại lớn, dư luận quan tâm".into(),
        ..Default::default()
    }
}

async fn designate(world: &World, case: &Case) -> Result<Designation, tonic::Status> {
    world
        .monitoring(world.steering(&["*"]))
        .designate_case(DesignateCaseRequest {
            parent: case.name.clone(),
            designation: Some(designation(&[DesignationCriterion::Serious])),
            request_id: String::new(),
        })
        .await
        .map(|r| r.into_inner())
}

/// The case's escalations, waiting (up to 10 s) until there are at least
/// `at_least`.
async fn escalations(world: &World, case: &Case, at_least: usize) -> Vec<EscalationThreshold> {
    for _ in 0..100 {
        let found: Vec<EscalationThreshold> = world
            .monitoring(world.steering(&["*"]))
            .list_escalations(ListEscalationsRequest {
                parent: case.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .escalations
            .iter()
            .map(|e| EscalationThreshold::try_from(e.threshold).unwrap())
            .collect();
        if found.len() >= at_least {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("fewer than {at_least} escalations after 10 s");
}

/// Waits (up to 10 s) until the scan of `day` has run.
async fn scanned(world: &World, day: &str) {
    for _ in 0..100 {
        let jobs = world
            .jobs()
            .list_jobs(ListJobsRequest::default())
            .await
            .unwrap()
            .into_inner()
            .jobs;
        if jobs.iter().any(|j| j.key == day && j.state == 2) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the scan of {day} did not run in 10 s");
}

#[tokio::test]
async fn prolonged_is_computed_from_the_clock_and_a_case_is_designated_once() {
    for backend in backends() {
        let world = World::start(&backend).await;
        // Received 2024-03-01, seven days to classify: prolonged on
        // 2024-04-10.
        let case = world
            .create(world.case_in_a("VA-1", "Đơn 1"))
            .await
            .unwrap();
        let d = designate(&world, &case).await.unwrap();
        assert_eq!(
            d.criteria,
            [
                DesignationCriterion::Serious as i32,
                DesignationCriterion::Prolonged as i32
            ],
            "{backend}"
        );
        assert!(d.prolonged);
        assert!(d.actor.starts_with("steering"));
        let err = designate(&world, &case).await.unwrap_err();
        assert_eq!(reason(&err), "CASE_ALREADY_DESIGNATED", "{backend}");
        let read = world
            .monitoring(world.officer(&["*"]))
            .get_designation(GetDesignationRequest {
                name: format!("{}/designation", case.name),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(read, d);
        // Typed "prolonged" is refused; a case officer does not designate.
        let other = world
            .create(world.case_in_a("VA-2", "Đơn 2"))
            .await
            .unwrap();
        let err = world
            .monitoring(world.steering(&["*"]))
            .designate_case(DesignateCaseRequest {
                parent: other.name.clone(),
                designation: Some(designation(&[DesignationCriterion::Prolonged])),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["designation.criteria[0]"], "{backend}");
        let err = world
            .monitoring(world.officer(&["*"]))
            .designate_case(DesignateCaseRequest {
                parent: other.name.clone(),
                designation: Some(designation(&[DesignationCriterion::Serious])),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{backend}");
        // Another district's committee does not see the case at all.
        let err = world
            .monitoring(world.steering(&[&world.district_b]))
            .designate_case(DesignateCaseRequest {
                parent: other.name.clone(),
                designation: Some(designation(&[DesignationCriterion::Serious])),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}");
    }
}

#[tokio::test]
async fn the_near_deadline_overdue_and_stalled_lists_are_one_call_each() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let officer = world.cases(world.officer(&["*"]));
        let overdue = world
            .create(world.case_in_a("VA-1", "Đơn 1"))
            .await
            .unwrap();
        let later = world
            .create(world.case_in_a("VA-2", "Đơn 2"))
            .await
            .unwrap();
        let near = world
            .create(world.case_in_a("VA-3", "Đơn 3"))
            .await
            .unwrap();
        for (case, on) in [(&later, (2024, 4, 10)), (&near, (2024, 3, 25))] {
            officer
                .clone()
                .move_case(MoveCaseRequest {
                    name: case.name.clone(),
                    stage: CaseStage::Verifying as i32,
                    effective_date: date(on.0, on.1, on.2),
                    reason: "Xác minh".into(),
                    ..Default::default()
                })
                .await
                .unwrap();
        }
        for case in [&overdue, &later, &near] {
            designate(&world, case).await.unwrap();
        }
        let list = |condition: MonitoringCondition| {
            let mut client = world.monitoring(world.officer(&[&world.district_a]));
            let org = world.district_a.clone();
            async move {
                client
                    .list_monitored_cases(ListMonitoredCasesRequest {
                        organization: org,
                        condition: condition as i32,
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .into_inner()
                    .cases
                    .into_iter()
                    .map(|c| c.code)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            list(MonitoringCondition::Overdue).await,
            ["VA-1"],
            "{backend}"
        );
        assert_eq!(list(MonitoringCondition::NearDeadline).await, ["VA-3"]);
        assert_eq!(
            list(MonitoringCondition::Unspecified).await,
            ["VA-1", "VA-3", "VA-2"]
        );
        assert!(list(MonitoringCondition::Stalled).await.is_empty());
        // A month on with no activity all three are stalled, until an
        // agency reports on one.
        world.set_today(2024, 5, 12);
        assert_eq!(
            list(MonitoringCondition::Stalled).await.len(),
            3,
            "{backend}"
        );
        world
            .cases(world.officer(&["*"]))
            .create_progress_report(CreateProgressReportRequest {
                parent: later.name.clone(),
                report: Some(ProgressReport {
                    agency: world.police.clone(),
                    report_date: date(2024, 5, 12),
                    summary: "Đang xác minh".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap();
        let stalled = list(MonitoringCondition::Stalled).await;
        assert_eq!(stalled.len(), 2, "{backend}");
        assert!(!stalled.contains(&"VA-2".to_string()));
        // Another district's officer cannot list district A's.
        let err = world
            .monitoring(world.officer(&[&world.district_b]))
            .list_monitored_cases(ListMonitoredCasesRequest {
                organization: world.district_a.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}");
    }
}

#[tokio::test]
async fn directives_and_urgings_go_to_a_handling_agency_of_a_designated_case() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let case = world
            .create(world.case_in_a("VA-1", "Đơn 1"))
            .await
            .unwrap();
        let mut steering = world.monitoring(world.steering(&["*"]));
        let directive = Directive {
            agency: world.police.clone(),
            content: "Khẩn trương xác minh, báo cáo kết quả".into(),
            due_date: date(2024, 4, 30),
            ..Default::default()
        };
        let err = steering
            .create_directive(CreateDirectiveRequest {
                parent: case.name.clone(),
                directive: Some(directive.clone()),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(reason(&err), "CASE_NOT_DESIGNATED", "{backend}");
        designate(&world, &case).await.unwrap();
        let mut wrong = directive.clone();
        wrong.agency = world.procuracy.clone();
        let err = steering
            .create_directive(CreateDirectiveRequest {
                parent: case.name.clone(),
                directive: Some(wrong),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["directive.agency"], "{backend}");
        let directed = steering
            .create_directive(CreateDirectiveRequest {
                parent: case.name.clone(),
                directive: Some(directive),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(directed.issue_date, date(2024, 4, 10));
        let urged = steering
            .create_urging(CreateUrgingRequest {
                parent: case.name.clone(),
                urging: Some(Urging {
                    agency: world.police.clone(),
                    directive: directed.name.clone(),
                    content: "Đề nghị báo cáo tiến độ".into(),
                    requested_deadline: date(2024, 4, 20),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(urged.state, UrgingState::AwaitingReply as i32, "{backend}");
        // Not answered by the deadline: overdue; then answered, once.
        world.set_today(2024, 4, 22);
        let listed = world
            .monitoring(world.officer(&["*"]))
            .list_urgings(ListUrgingsRequest {
                parent: case.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .urgings;
        assert_eq!(listed[0].state, UrgingState::Overdue as i32, "{backend}");
        let mut officer = world.monitoring(world.officer(&["*"]));
        let replied = officer
            .record_urging_reply(RecordUrgingReplyRequest {
                name: urged.name.clone(),
                reply: "Đã báo cáo bằng văn bản số 45/BC".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(replied.state, UrgingState::Replied as i32, "{backend}");
        assert_eq!(replied.reply_date, date(2024, 4, 22));
        let err = officer
            .record_urging_reply(RecordUrgingReplyRequest {
                name: urged.name.clone(),
                reply: "again".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(reason(&err), "URGING_ANSWERED", "{backend}");
    }
}

#[tokio::test]
async fn a_crossing_is_escalated_once_and_an_extension_makes_a_new_one() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let case = world
            .create(world.case_in_a("VA-1", "Đơn 1"))
            .await
            .unwrap();
        designate(&world, &case).await.unwrap();
        // Overdue since 2024-03-08: the scan run at designation records it.
        assert_eq!(
            escalations(&world, &case, 1).await,
            [EscalationThreshold::Overdue],
            "{backend}"
        );
        // The next day's scan finds the same crossing: nothing new.
        world.set_today(2024, 4, 11);
        scanned(&world, "2024-04-11").await;
        assert_eq!(escalations(&world, &case, 1).await.len(), 1, "{backend}");
        // Extended to 2024-04-15: near its new deadline, then past it.
        world
            .cases(world.officer(&["*"]))
            .extend_case_deadline(ExtendCaseDeadlineRequest {
                name: case.name.clone(),
                due_date: date(2024, 4, 15),
                reason: "Phức tạp".into(),
                decision_number: "03/QĐ-GH".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        world.set_today(2024, 4, 12);
        scanned(&world, "2024-04-12").await;
        world.set_today(2024, 4, 16);
        scanned(&world, "2024-04-13").await;
        assert_eq!(
            escalations(&world, &case, 3).await,
            [
                EscalationThreshold::Overdue,
                EscalationThreshold::NearDeadline,
                EscalationThreshold::Overdue
            ],
            "{backend}"
        );
    }
}

#[tokio::test]
async fn two_replicas_on_one_database_escalate_a_crossing_once() {
    for backend in backends() {
        let world = World::start(&backend).await;
        // A second oversight server over the same database, with its own
        // job runner (which SQLite's in-process lead or PostgreSQL's
        // advisory lock keeps from running beside the first — and the
        // escalations' key would keep from recording twice if it did).
        let peer =
            probity_oversight::MembersPeer::connect_lazy(&world.members.url(), None).unwrap();
        let mut options = TestOptions::new(probity_oversight::SCHEMA);
        options.issuer = Some(world.oversight.issuer.clone());
        options.clock = Some(world.oversight.clock.clone());
        options.database = Some(world.oversight.db.clone());
        let _replica = TestServer::start(&backend, options, |server, db| {
            probity_oversight::register(server, db, peer)
        })
        .await;
        let case = world
            .create(world.case_in_a("VA-1", "Đơn 1"))
            .await
            .unwrap();
        designate(&world, &case).await.unwrap();
        escalations(&world, &case, 1).await;
        for day in 11..=14 {
            world.set_today(2024, 4, day);
            scanned(&world, &format!("2024-04-{day}")).await;
        }
        assert_eq!(escalations(&world, &case, 1).await.len(), 1, "{backend}");
    }
}
