//! Published case statistics through the real gRPC API, on every backend:
//! rolled up to the districts, with small counts withheld and their
//! complements too, the rule and threshold stated.

mod common;

use common::{World, backends, date};
use probity_proto::probity::oversight::v1::{
    CaseStage, DesignateCaseRequest, DesignatingBody, Designation, DesignationCriterion,
    GetCaseStatisticsRequest, MoveCaseRequest,
};
use tonic::Code;

async fn designated_case(world: &World, district: &str, code: &str) -> String {
    let mut case = world.case_in_a(code, code);
    case.jurisdiction = district.to_string();
    if district != world.district_a {
        case.subjects.remove(0);
    }
    let case = world.create(case).await.unwrap();
    world
        .monitoring(world.steering(&["*"]))
        .designate_case(DesignateCaseRequest {
            parent: case.name.clone(),
            designation: Some(Designation {
                designated_by: DesignatingBody::SteeringCommittee as i32,
                decision_number: "01-QĐ/BCĐ".into(),
                decision_date: date(2024, 4, 1),
                criteria: vec![DesignationCriterion::Serious as i32],
                reason: "Nghiêm trọng".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();
    case.name
}

#[tokio::test]
async fn small_counts_and_their_complements_are_withheld() {
    for backend in backends() {
        let world = World::start(&backend).await;
        // District A: 7 designated cases, 2 of them dismissed; district B:
        // 3 designated cases.
        let mut a = Vec::new();
        for i in 0..7 {
            a.push(designated_case(&world, &world.district_a, &format!("A-{i}")).await);
        }
        for i in 0..3 {
            designated_case(&world, &world.district_b, &format!("B-{i}")).await;
        }
        for name in &a[..2] {
            world
                .cases(world.officer(&["*"]))
                .move_case(MoveCaseRequest {
                    name: name.clone(),
                    stage: CaseStage::Dismissed as i32,
                    reason: "Không có dấu hiệu vi phạm".into(),
                    ..Default::default()
                })
                .await
                .unwrap();
        }
        let mut stats = probity_proto::probity::oversight::v1::statistics_service_client::StatisticsServiceClient::new(
            world.steering(&["*"]),
        );
        let got = stats
            .get_case_statistics(GetCaseStatisticsRequest {
                organization: world.province.clone(),
                from_date: date(2024, 1, 1),
                to_date: date(2024, 6, 30),
                threshold: 0,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got.threshold, 5, "{backend}");
        assert!(
            got.suppression_rule.contains("complement")
                || got.suppression_rule.contains("subtraction")
        );
        let total = got.total.unwrap();
        assert_eq!(
            total.designated.as_ref().unwrap().display,
            "10",
            "{backend}"
        );
        let by_name = |name: &str| {
            got.children
                .iter()
                .find(|c| c.organization == name)
                .cloned()
                .unwrap()
        };
        let b = by_name(&world.district_b);
        let a = by_name(&world.district_a);
        // B's 3 is under 5; A's 7 would give it away (10 - 7): withheld as
        // its complement.
        assert_eq!(b.designated.as_ref().unwrap().display, "<5", "{backend}");
        assert_eq!(a.designated.as_ref().unwrap().display, "x", "{backend}");
        assert_eq!(a.designated.as_ref().unwrap().value, 0);
        assert!(a.loss.as_ref().unwrap().suppressed && b.loss.as_ref().unwrap().suppressed);
        // In the total: 2 dismissed is withheld, and since 10 = 8 received
        // + 2 dismissed (the other stages 0, withheld too), nothing more
        // is needed there; 8 unresolved is published, the 2 resolved on
        // time withheld with the 0 late.
        let dismissed = total
            .by_stage
            .iter()
            .find(|s| s.stage == CaseStage::Dismissed as i32)
            .unwrap();
        assert!(dismissed.count.as_ref().unwrap().suppressed, "{backend}");
        assert_eq!(total.unresolved.as_ref().unwrap().display, "8");
        assert!(total.resolved_on_time.as_ref().unwrap().suppressed);
        // A caller may raise the threshold (10: even the total is
        // withheld) but not lower it under the default.
        let high = stats
            .get_case_statistics(GetCaseStatisticsRequest {
                organization: world.province.clone(),
                from_date: date(2024, 1, 1),
                to_date: date(2024, 6, 30),
                threshold: 11,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(high.threshold, 11, "{backend}");
        assert_eq!(
            high.total.unwrap().designated.unwrap().display,
            "<11",
            "{backend}"
        );
        let err = stats
            .get_case_statistics(GetCaseStatisticsRequest {
                organization: world.province.clone(),
                from_date: date(2024, 1, 1),
                to_date: date(2024, 6, 30),
                threshold: 2,
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{backend}");
        // Another district's officer cannot ask for the province.
        let err = probity_proto::probity::oversight::v1::statistics_service_client::StatisticsServiceClient::new(
            world.officer(&[&world.district_b]),
        )
        .get_case_statistics(GetCaseStatisticsRequest {
            organization: world.province.clone(),
            from_date: date(2024, 1, 1),
            to_date: date(2024, 6, 30),
            threshold: 0,
        })
        .await
        .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}");
    }
}
