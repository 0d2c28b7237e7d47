//! Cases through the real gRPC API, against a real members server, on
//! every backend: recording (subjects checked with members, duplicate
//! intakes linked), scope, and bad input that changes nothing.

mod common;

use common::{World, backends, fields, reason};
use probity_proto::probity::oversight::v1::{
    CaseStage, CreateCaseRequest, GetCaseRequest, ListCasesRequest,
};
use tonic::Code;

#[tokio::test]
async fn a_case_is_recorded_in_stage_received_with_its_clock_and_subjects_from_members() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let case = world
            .create(world.case_in_a("va-2024-001", "Đơn 12/2024"))
            .await
            .unwrap();
        assert_eq!(case.code, "VA-2024-001", "{backend}");
        assert_eq!(case.stage, CaseStage::Received as i32);
        assert_eq!(case.subjects[0].full_name, "Nguyễn Văn A");
        assert_eq!(case.subjects[1].full_name, "Lê Văn C");
        // Received on 2024-03-01: seven days to classify, long past on
        // 2024-04-10.
        assert_eq!(case.stage_limit_days, 7);
        assert!(case.stage_limit_citation.contains("Luật Tố cáo"));
        assert_eq!(case.due_date, common::date(2024, 3, 8));
        assert!(case.overdue);
        let read = world
            .cases(world.officer(&["*"]))
            .get_case(GetCaseRequest {
                name: case.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(read, case, "{backend}");
    }
}

#[tokio::test]
async fn a_duplicate_intake_is_linked_to_the_case_not_recorded_again() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let first = world
            .create(world.case_in_a("VA-1", "Đơn 12/2024"))
            .await
            .unwrap();
        let mut again = world.case_in_a("VA-2", "  ĐƠN 12/2024 ");
        again.intakes[0].origin_reference = "don 12/2024".into();
        again.intakes[0].received_date = common::date(2024, 3, 20);
        let linked = world.create(again).await.unwrap();
        assert_eq!(linked.name, first.name, "{backend}");
        assert_eq!(linked.code, "VA-1");
        assert_eq!(linked.intakes.len(), 2);
        let list = world
            .cases(world.officer(&["*"]))
            .list_cases(ListCasesRequest {
                organization: world.province.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(list.cases.len(), 1, "{backend}");
    }
}

#[tokio::test]
async fn a_taken_code_is_already_exists() {
    for backend in backends() {
        let world = World::start(&backend).await;
        world
            .create(world.case_in_a("VA-1", "Đơn 1"))
            .await
            .unwrap();
        let err = world
            .create(world.case_in_a("va-1", "Đơn 2"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::AlreadyExists, "{backend}");
        assert_eq!(reason(&err), "CASE_CODE_TAKEN");
    }
}

#[tokio::test]
async fn bad_references_are_named_and_nothing_is_recorded() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let mut case = world.case_in_a("VA-1", "Đơn 1");
        case.handling_agencies = vec!["agencies/nope".into()];
        case.linked_cases = vec!["cases/nope".into()];
        let err = world.create(case).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{backend}");
        assert_eq!(
            fields(&err),
            ["case.handling_agencies[0]", "case.linked_cases[0]"]
        );
        let mut case = world.case_in_a("VA-1", "Đơn 1");
        case.subjects[0].member = "members/nobody".into();
        let err = world.create(case).await.unwrap_err();
        assert_eq!(fields(&err), ["case.subjects[0].member"], "{backend}");
        let list = world
            .cases(world.officer(&["*"]))
            .list_cases(ListCasesRequest {
                organization: world.province.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(list.cases.is_empty(), "{backend}");
    }
}

#[tokio::test]
async fn another_districts_case_is_answered_like_one_that_does_not_exist() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let case = world
            .create(world.case_in_a("VA-1", "Đơn 1"))
            .await
            .unwrap();
        let mut b = world.cases(world.officer(&[&world.district_b]));
        let theirs = b
            .get_case(GetCaseRequest {
                name: case.name.clone(),
            })
            .await
            .unwrap_err();
        let missing = b
            .get_case(GetCaseRequest {
                name: "cases/0192f0c0a0b07c3e8d1f2a3b4c5d6e7f".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(theirs.code(), Code::NotFound, "{backend}");
        assert_eq!(missing.code(), Code::NotFound);
        assert_eq!(
            theirs.message().replace(&case.name, "X"),
            missing
                .message()
                .replace("cases/0192f0c0a0b07c3e8d1f2a3b4c5d6e7f", "X")
        );
        let err = b
            .list_cases(ListCasesRequest {
                organization: world.district_a.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound);
        // The province's list, for district B's officer: a district is
        // not its province.
        let own = b
            .list_cases(ListCasesRequest {
                organization: world.district_b.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(own.cases.is_empty());
        // District A's officer sees it; a reader of member records does
        // not get cases at all.
        let mine = world
            .cases(world.officer(&[&world.district_a]))
            .get_case(GetCaseRequest {
                name: case.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(mine.name, case.name);
        let reader = world
            .cases(world.caller(&["reader"], &["*"]))
            .get_case(GetCaseRequest {
                name: case.name.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(reader.code(), Code::PermissionDenied, "{backend}");
    }
}

#[tokio::test]
async fn an_officer_cannot_record_a_case_outside_their_scope_or_about_a_member_they_cannot_see() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let mut b = world.cases(world.officer(&[&world.district_b]));
        let err = b
            .create_case(CreateCaseRequest {
                r#case: Some(world.case_in_a("VA-1", "Đơn 1")),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{backend}");
        assert_eq!(fields(&err)[0], "case.jurisdiction");
        let mut theirs = world.case_in_a("VA-1", "Đơn 1");
        theirs.jurisdiction = world.district_b.clone();
        let err = b
            .create_case(CreateCaseRequest {
                r#case: Some(theirs),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["case.subjects[0].member"], "{backend}");
    }
}

#[tokio::test]
async fn with_members_down_a_case_is_not_recorded_and_the_caller_is_told_to_retry() {
    for backend in backends() {
        let mut world = World::start(&backend).await;
        world.members.server.begin_shutdown();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let err = world
            .create(world.case_in_a("VA-1", "Đơn 1"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unavailable, "{backend}");
        assert!(err.message().contains("nothing was recorded"));
    }
}
