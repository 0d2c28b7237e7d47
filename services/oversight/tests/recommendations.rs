//! Recommendations through the real gRPC API against a real members
//! server, on every backend: a recommendation's life from intake to a
//! verified closure, the verifier not the addressee, the overdue list, the
//! implementation rate by its formula, and scope.

mod common;

use common::{World, backends, date, fields, reason};
use probity_platform::testing::Authed;
use probity_proto::probity::oversight::v1::{
    CloseRecommendationRequest, CreateRecommendationRequest, CreateUrgingRequest,
    GetImplementationRateRequest, GetRecommendationRequest, ListRecommendationsRequest,
    ListUrgingsRequest, Recommendation, RecommendationKind, RecommendationSource,
    RecommendationStatus, RecordUrgingReplyRequest, ReportRecommendationProgressRequest, Urging,
    UrgingState, recommendation_service_client::RecommendationServiceClient,
};
use tonic::Code;

/// A case officer of `agency` over `scope`.
fn of_agency(world: &World, agency: &str, scope: &[&str]) -> RecommendationServiceClient<Authed> {
    let token = world
        .oversight
        .token_of_agency(agency, "clerk", &["case-officer"], scope);
    RecommendationServiceClient::new(world.oversight.with_token(&token))
}

fn audit_finding(world: &World, amount: i64, due: (i32, i32, i32)) -> Recommendation {
    Recommendation {
        source: RecommendationSource::StateAudit as i32,
        source_document: "45/bc-ktnn".into(),
        source_date: date(2024, 1, 15),
        organization: world.district_a.clone(),
        responsible_person: "Chủ tịch UBND huyện A".into(),
        kind: RecommendationKind::RecoverAmount as i32,
        content: "Thu hồi về ngân sách các khoản chi sai".into(),
        recommended_vnd: amount,
        due_date: date(due.0, due.1, due.2),
        ..Default::default()
    }
}

async fn create(
    client: &mut RecommendationServiceClient<Authed>,
    r: Recommendation,
) -> Result<Recommendation, tonic::Status> {
    client
        .create_recommendation(CreateRecommendationRequest {
            recommendation: Some(r),
            request_id: String::new(),
        })
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn a_recommendation_goes_from_intake_to_a_closure_verified_by_another_agency() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let mut audit = of_agency(&world, "kiem-toan", &["*"]);
        let mut addressee = of_agency(&world, "ubnd-huyen-a", &[&world.district_a]);
        let r = create(
            &mut audit,
            audit_finding(&world, 2_000_000_000, (2024, 6, 30)),
        )
        .await
        .unwrap();
        assert_eq!(r.source_document, "45/BC-KTNN", "{backend}");
        assert_eq!(r.status, RecommendationStatus::Open as i32);
        let progressed = addressee
            .report_recommendation_progress(ReportRecommendationProgressRequest {
                name: r.name.clone(),
                action_plan: "Thu hồi trong quý II".into(),
                implemented_vnd: 1_500_000_000,
                etag: r.etag.clone(),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(progressed.status, RecommendationStatus::InProgress as i32);
        assert_eq!(progressed.reported_by, "clerk (ubnd-huyen-a)", "{backend}");
        // Going back on the amount is refused.
        let err = addressee
            .report_recommendation_progress(ReportRecommendationProgressRequest {
                name: r.name.clone(),
                action_plan: "x".into(),
                implemented_vnd: 100,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["implemented_vnd"], "{backend}");
        // The addressee may not verify its own closure.
        let close = |outcome: RecommendationStatus| CloseRecommendationRequest {
            name: r.name.clone(),
            outcome: outcome as i32,
            evidence: "Giấy nộp tiền vào ngân sách số 12".into(),
            ..Default::default()
        };
        let err = addressee
            .close_recommendation(close(RecommendationStatus::Implemented))
            .await
            .unwrap_err();
        assert_eq!(reason(&err), "VERIFIER_IS_ADDRESSEE", "{backend}");
        let closed = audit
            .close_recommendation(close(RecommendationStatus::PartlyImplemented))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            closed.status,
            RecommendationStatus::PartlyImplemented as i32
        );
        assert_eq!(closed.verified_by, "clerk (kiem-toan)");
        assert_eq!(closed.close_date, date(2024, 4, 10));
        let err = audit
            .close_recommendation(close(RecommendationStatus::Implemented))
            .await
            .unwrap_err();
        assert_eq!(reason(&err), "RECOMMENDATION_CLOSED", "{backend}");
    }
}

#[tokio::test]
async fn the_implementation_rate_follows_its_formula_and_overdue_ones_are_listed() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let mut audit = of_agency(&world, "kiem-toan", &["*"]);
        let mut addressee = of_agency(&world, "ubnd-huyen-a", &["*"]);
        // Three due in the first half of 2024; one of them no longer
        // applicable; one due later.
        let done = create(&mut audit, audit_finding(&world, 1_000, (2024, 3, 31)))
            .await
            .unwrap();
        let overdue = create(&mut audit, audit_finding(&world, 3_000, (2024, 3, 31)))
            .await
            .unwrap();
        let dropped = create(&mut audit, audit_finding(&world, 9_000, (2024, 4, 1)))
            .await
            .unwrap();
        let mut later = audit_finding(&world, 0, (2024, 12, 31));
        later.kind = RecommendationKind::AmendRules as i32;
        later.source = RecommendationSource::Inspection as i32;
        later.source_document = "12/KL-TTCP".into();
        create(&mut audit, later).await.unwrap();
        addressee
            .report_recommendation_progress(ReportRecommendationProgressRequest {
                name: done.name.clone(),
                action_plan: "Đã nộp".into(),
                implemented_vnd: 1_000,
                ..Default::default()
            })
            .await
            .unwrap();
        addressee
            .report_recommendation_progress(ReportRecommendationProgressRequest {
                name: overdue.name.clone(),
                action_plan: "Đang thu".into(),
                implemented_vnd: 1_000,
                ..Default::default()
            })
            .await
            .unwrap();
        for (r, outcome) in [
            (&done, RecommendationStatus::Implemented),
            (&dropped, RecommendationStatus::NoLongerApplicable),
        ] {
            audit
                .close_recommendation(CloseRecommendationRequest {
                    name: r.name.clone(),
                    outcome: outcome as i32,
                    evidence: "Biên bản".into(),
                    ..Default::default()
                })
                .await
                .unwrap();
        }
        let overdue_list = audit
            .list_recommendations(ListRecommendationsRequest {
                organization: world.province.clone(),
                overdue_only: true,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .recommendations;
        assert_eq!(overdue_list.len(), 1, "{backend}");
        assert_eq!(overdue_list[0].name, overdue.name);
        assert!(overdue_list[0].overdue);
        let rate = audit
            .get_implementation_rate(GetImplementationRateRequest {
                organization: world.province.clone(),
                from_date: date(2024, 1, 1),
                to_date: date(2024, 6, 30),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(rate.formula.contains("no longer applicable"));
        let audit_rate = &rate.rates[0];
        assert_eq!(audit_rate.source, RecommendationSource::StateAudit as i32);
        assert_eq!(
            (audit_rate.due, audit_rate.implemented, audit_rate.pending),
            (2, 1, 1),
            "{backend}"
        );
        let count = audit_rate.by_count.clone().unwrap();
        assert_eq!(count.percent, "50.00");
        let amount = audit_rate.by_amount.clone().unwrap();
        assert_eq!((amount.numerator, amount.denominator), (2_000, 4_000));
        assert_eq!(rate.rates.len(), 2, "the audit, then all");
    }
}

#[tokio::test]
async fn another_districts_officer_sees_none_of_ours_and_bad_input_is_named() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let mut audit = of_agency(&world, "kiem-toan", &["*"]);
        let r = create(&mut audit, audit_finding(&world, 1_000, (2024, 6, 30)))
            .await
            .unwrap();
        let mut b = of_agency(&world, "kiem-toan", &[&world.district_b]);
        let err = b
            .get_recommendation(GetRecommendationRequest {
                name: r.name.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}");
        let err = b
            .close_recommendation(CloseRecommendationRequest {
                name: r.name.clone(),
                outcome: RecommendationStatus::Implemented as i32,
                evidence: "x".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}");
        let mut bad = audit_finding(&world, 0, (2023, 1, 1));
        bad.source_document = "báo cáo".into();
        let err = create(&mut audit, bad).await.unwrap_err();
        assert_eq!(
            fields(&err),
            [
                "recommendation.source_document",
                "recommendation.recommended_vnd",
                "recommendation.due_date"
            ],
            "{backend}"
        );
    }
}

#[tokio::test]
async fn an_overdue_recommendation_is_urged_and_its_reply_recorded() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let mut audit = of_agency(&world, "kiem-toan", &["*"]);
        let overdue = create(&mut audit, audit_finding(&world, 1_000, (2024, 3, 31)))
            .await
            .unwrap();
        let not_yet = create(&mut audit, audit_finding(&world, 1_000, (2024, 6, 30)))
            .await
            .unwrap();
        let mut steering = world.monitoring(world.steering(&["*"]));
        let urge = |parent: &str| CreateUrgingRequest {
            parent: parent.into(),
            urging: Some(Urging {
                content: "Đề nghị báo cáo kết quả thu hồi".into(),
                requested_deadline: date(2024, 4, 30),
                ..Default::default()
            }),
            request_id: String::new(),
        };
        let urged = steering
            .create_urging(urge(&overdue.name))
            .await
            .unwrap()
            .into_inner();
        assert!(
            urged
                .name
                .starts_with(&format!("{}/urgings/", overdue.name)),
            "{backend}"
        );
        assert_eq!(urged.state, UrgingState::AwaitingReply as i32);
        let err = steering
            .create_urging(urge(&not_yet.name))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(reason(&err), "RECOMMENDATION_NOT_OVERDUE");
        // Addressed to the organisation itself: no agency to name.
        let mut wrong = urge(&overdue.name);
        wrong.urging.as_mut().unwrap().agency = world.police.clone();
        let err = steering.create_urging(wrong).await.unwrap_err();
        assert_eq!(fields(&err), ["urging.agency"]);

        let replied = world
            .monitoring(world.officer(&[&world.district_a]))
            .record_urging_reply(RecordUrgingReplyRequest {
                name: urged.name.clone(),
                reply: "Đã thu hồi 60%".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(replied.state, UrgingState::Replied as i32, "{backend}");
        let listed = steering
            .list_urgings(ListUrgingsRequest {
                parent: overdue.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed.urgings.len(), 1);
        // Another district's officer: as if it did not exist.
        let hidden = world
            .monitoring(world.officer(&[&world.district_b]))
            .list_urgings(ListUrgingsRequest {
                parent: overdue.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(hidden.code(), Code::NotFound, "{backend}");
    }
}
