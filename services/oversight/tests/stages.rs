//! A case's stages and clock through the real gRPC API, on every backend:
//! only legal moves, the limit of each stage from the cited rules,
//! suspension stopping the clock, extensions keeping the original date,
//! the history, stale etags and retries.

mod common;

use common::{World, backends, date, fields, reason};
use probity_platform::testing::Authed;
use probity_proto::probity::oversight::v1::{
    Case, CaseEventKind, CaseKind, CaseStage, ExtendCaseDeadlineRequest, ListCaseEventsRequest,
    MoveCaseRequest, ResumeCaseRequest, SuspendCaseRequest, case_service_client::CaseServiceClient,
};
use tonic::Code;

fn move_to(case: &Case, stage: CaseStage, on: (i32, i32, i32)) -> MoveCaseRequest {
    MoveCaseRequest {
        name: case.name.clone(),
        stage: stage as i32,
        effective_date: date(on.0, on.1, on.2),
        reason: "Đủ căn cứ chuyển giai đoạn".into(),
        ..Default::default()
    }
}

async fn received(world: &World) -> (CaseServiceClient<Authed>, Case) {
    let case = world
        .create(world.case_in_a("VA-1", "Đơn 1"))
        .await
        .unwrap();
    (world.cases(world.officer(&[&world.district_a])), case)
}

#[tokio::test]
async fn an_illegal_move_is_refused_naming_the_stages_allowed_and_changes_nothing() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let (mut cases, case) = received(&world).await;
        let err = cases
            .move_case(move_to(&case, CaseStage::OnTrial, (2024, 4, 1)))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition, "{backend}");
        assert_eq!(reason(&err), "ILLEGAL_TRANSITION");
        assert!(
            err.message().contains("CASE_STAGE_VERIFYING"),
            "{}",
            err.message()
        );
        let events = cases
            .list_case_events(ListCaseEventsRequest {
                parent: case.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .events;
        assert_eq!(events.len(), 1, "{backend}");
        assert_eq!(events[0].kind, CaseEventKind::Created as i32);
    }
}

#[tokio::test]
async fn each_stage_gets_its_limit_and_opening_an_investigation_makes_a_criminal_case() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let (mut cases, case) = received(&world).await;
        let verifying = cases
            .move_case(move_to(&case, CaseStage::Verifying, (2024, 4, 1)))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(verifying.stage_limit_days, 20, "{backend}");
        assert!(verifying.stage_limit_citation.contains("Điều 147"));
        assert_eq!(verifying.due_date, date(2024, 4, 21));
        assert!(!verifying.overdue);
        let mut to_investigation = move_to(&verifying, CaseStage::Investigating, (2024, 4, 8));
        to_investigation.decision_number = "15/QĐ-CSĐT".into();
        to_investigation.add_agencies = vec![world.procuracy.clone()];
        let investigating = cases
            .move_case(to_investigation)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(investigating.kind, CaseKind::Criminal as i32, "{backend}");
        assert_eq!(investigating.stage_limit_days, 120);
        assert_eq!(investigating.due_date, date(2024, 8, 6));
        assert_eq!(
            investigating.handling_agencies,
            [world.police.clone(), world.procuracy.clone()]
        );
        let events = cases
            .list_case_events(ListCaseEventsRequest {
                parent: case.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .events;
        let moves: Vec<(i32, i32)> = events
            .iter()
            .skip(1)
            .map(|e| (e.from_stage, e.to_stage))
            .collect();
        assert_eq!(
            moves,
            [
                (CaseStage::Received as i32, CaseStage::Verifying as i32),
                (CaseStage::Verifying as i32, CaseStage::Investigating as i32)
            ]
        );
        assert_eq!(events[2].decision_number, "15/QĐ-CSĐT");
        assert_eq!(events[2].actor, "officer (test-agency)");
    }
}

#[tokio::test]
async fn a_suspension_stops_the_clock_and_moves_the_due_date_by_the_days_suspended() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let (mut cases, case) = received(&world).await;
        let verifying = cases
            .move_case(move_to(&case, CaseStage::Verifying, (2024, 4, 1)))
            .await
            .unwrap()
            .into_inner();
        let suspended = cases
            .suspend_case(SuspendCaseRequest {
                name: case.name.clone(),
                effective_date: date(2024, 4, 5),
                reason: "Chờ kết quả giám định".into(),
                decision_number: "02/QĐ-TĐC".into(),
                etag: verifying.etag.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(suspended.stage, CaseStage::Suspended as i32, "{backend}");
        assert_eq!(suspended.suspended_stage, CaseStage::Verifying as i32);
        assert_eq!(suspended.suspended_days, 5);
        assert!(suspended.ever_suspended && !suspended.overdue);
        // Suspended: no move, no second suspension, no extension.
        let err = cases
            .move_case(move_to(&case, CaseStage::Inspecting, (2024, 4, 10)))
            .await
            .unwrap_err();
        assert_eq!(reason(&err), "CASE_SUSPENDED", "{backend}");
        let err = cases
            .suspend_case(SuspendCaseRequest {
                name: case.name.clone(),
                reason: "again".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(reason(&err), "CASE_SUSPENDED");
        let resumed = cases
            .resume_case(ResumeCaseRequest {
                name: case.name.clone(),
                reason: "Đã có kết quả giám định".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(resumed.stage, CaseStage::Verifying as i32, "{backend}");
        assert_eq!(resumed.due_date, date(2024, 4, 26));
        assert_eq!(resumed.suspended_days, 5);
        assert!(resumed.ever_suspended);
        let err = cases
            .resume_case(ResumeCaseRequest {
                name: case.name.clone(),
                reason: "again".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(reason(&err), "CASE_NOT_SUSPENDED", "{backend}");
    }
}

#[tokio::test]
async fn an_extension_needs_a_decision_and_a_later_date_and_keeps_the_original() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let (mut cases, case) = received(&world).await;
        cases
            .move_case(move_to(&case, CaseStage::Verifying, (2024, 4, 1)))
            .await
            .unwrap();
        let mut extend = ExtendCaseDeadlineRequest {
            name: case.name.clone(),
            due_date: date(2024, 4, 20),
            reason: "Vụ việc phức tạp, xác minh nhiều nơi".into(),
            ..Default::default()
        };
        let err = cases
            .extend_case_deadline(extend.clone())
            .await
            .unwrap_err();
        assert_eq!(
            fields(&err),
            ["decision_number"],
            "{backend}: {}",
            err.message()
        );
        extend.decision_number = "07/QĐ-GH".into();
        let err = cases
            .extend_case_deadline(extend.clone())
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["due_date"], "{backend}");
        extend.due_date = date(2024, 6, 1);
        let extended = cases
            .extend_case_deadline(extend)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(extended.original_due_date, date(2024, 4, 21), "{backend}");
        assert_eq!(extended.extended_due_date, date(2024, 6, 1));
        assert_eq!(extended.due_date, date(2024, 6, 1));
        let events = cases
            .list_case_events(ListCaseEventsRequest {
                parent: case.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .events;
        let last = events.last().unwrap();
        assert_eq!(last.kind, CaseEventKind::Extended as i32);
        assert_eq!(last.previous_due_date, date(2024, 4, 21));
        assert_eq!(last.new_due_date, date(2024, 6, 1));
        assert_eq!(last.reason, "Vụ việc phức tạp, xác minh nhiều nơi");
    }
}

#[tokio::test]
async fn a_stale_etag_is_aborted_and_a_retry_answers_the_first_result_once() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let (mut cases, case) = received(&world).await;
        let mut first = move_to(&case, CaseStage::Verifying, (2024, 4, 1));
        first.etag = case.etag.clone();
        first.request_id = "move-1".into();
        let moved = cases.move_case(first.clone()).await.unwrap().into_inner();
        let again = cases.move_case(first).await.unwrap().into_inner();
        assert_eq!(moved, again, "{backend}");
        let mut stale = move_to(&case, CaseStage::Inspecting, (2024, 4, 2));
        stale.etag = case.etag.clone();
        let err = cases.move_case(stale).await.unwrap_err();
        assert_eq!(err.code(), Code::Aborted, "{backend}");
        let events = cases
            .list_case_events(ListCaseEventsRequest {
                parent: case.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .events;
        assert_eq!(events.len(), 2, "{backend}: created and one move");
    }
}

#[tokio::test]
async fn a_move_dated_before_the_stage_began_or_in_the_future_is_refused() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let (mut cases, case) = received(&world).await;
        let err = cases
            .move_case(move_to(&case, CaseStage::Verifying, (2024, 2, 1)))
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["effective_date"], "{backend}");
        let err = cases
            .move_case(move_to(&case, CaseStage::Verifying, (2024, 4, 11)))
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["effective_date"], "{backend}");
    }
}

#[tokio::test]
async fn another_districts_officer_cannot_move_the_case() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let (_, case) = received(&world).await;
        let err = world
            .cases(world.officer(&[&world.district_b]))
            .move_case(move_to(&case, CaseStage::Verifying, (2024, 4, 1)))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}");
    }
}
