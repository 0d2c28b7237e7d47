//! Disciplinary decisions through the real gRPC API against a real members
//! server, on every backend: checked with members for the caller, read by
//! whoever may read the member, a case of another scope refused, and a
//! decision that changes members left pending when oversight has no
//! identity of its own for members.

mod common;

use common::{World, backends, date, fields};
use probity_proto::probity::oversight::v1::{
    CreateDisciplinaryDecisionRequest, DisciplinaryDecision, DisciplineForm,
    GetDisciplinaryDecisionRequest, ListDisciplinaryDecisionsRequest, MembersEffect,
    discipline_service_client::DisciplineServiceClient,
};
use tonic::Code;

fn warning(world: &World, member: &str) -> DisciplinaryDecision {
    DisciplinaryDecision {
        member: member.into(),
        form: DisciplineForm::Warning as i32,
        deciding_organization: world.district_a.clone(),
        decision_number: "45-QĐ/UBKTHU".into(),
        decision_date: date(2024, 4, 1),
        effective_date: date(2024, 4, 1),
        reason: "Vi phạm quy định".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_decision_is_read_by_whoever_may_read_the_member() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let mut a = DisciplineServiceClient::new(world.officer(&[&world.district_a]));
        let d = a
            .create_disciplinary_decision(CreateDisciplinaryDecisionRequest {
                decision: Some(warning(&world, &world.member_a)),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(d.member_name, "Nguyễn Văn A", "{backend}");
        assert_eq!(d.members_effect, MembersEffect::None as i32);
        let listed = DisciplineServiceClient::new(world.caller(&["reader"], &[&world.district_a]))
            .list_disciplinary_decisions(ListDisciplinaryDecisionsRequest {
                member: world.member_a.clone(),
                year: 2024,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed.decisions.len(), 1, "{backend}");
        assert_eq!(listed.decisions[0], d);
        let none = a
            .list_disciplinary_decisions(ListDisciplinaryDecisionsRequest {
                member: world.member_a.clone(),
                year: 2023,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(none.decisions.is_empty());
        // District B's reader sees neither the decision nor the member.
        let mut b = DisciplineServiceClient::new(world.caller(&["reader"], &[&world.district_b]));
        let err = b
            .get_disciplinary_decision(GetDisciplinaryDecisionRequest {
                name: d.name.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}");
        let err = b
            .list_disciplinary_decisions(ListDisciplinaryDecisionsRequest {
                member: world.member_a.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}");

        // By deciding organisation: district A's decisions, to its reader;
        // none of them to district B's, which may not name A.
        let by_org = |organization: &str| ListDisciplinaryDecisionsRequest {
            organization: organization.to_string(),
            ..Default::default()
        };
        let of_a = DisciplineServiceClient::new(world.caller(&["reader"], &[&world.district_a]))
            .list_disciplinary_decisions(by_org(&world.district_a))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(of_a.decisions, vec![d.clone()], "{backend}");
        let err = b
            .list_disciplinary_decisions(by_org(&world.district_a))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}");
        let of_b = b
            .list_disciplinary_decisions(by_org(&world.district_b))
            .await
            .unwrap()
            .into_inner();
        assert!(of_b.decisions.is_empty(), "{backend}");
        let err = b
            .list_disciplinary_decisions(ListDisciplinaryDecisionsRequest::default())
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["member"], "{backend}");
    }
}

#[tokio::test]
async fn bad_or_unseen_references_are_refused_and_nothing_is_recorded() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let mut b = DisciplineServiceClient::new(world.officer(&[&world.district_b]));
        let mut d = warning(&world, &world.member_a);
        d.deciding_organization = world.district_b.clone();
        let err = b
            .create_disciplinary_decision(CreateDisciplinaryDecisionRequest {
                decision: Some(d),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["decision.member"], "{backend}");
        // A case of district A is not B's to cite.
        let case = world
            .create(world.case_in_a("VA-1", "Đơn 1"))
            .await
            .unwrap();
        let mut d = warning(&world, &world.member_b);
        d.deciding_organization = world.district_b.clone();
        d.r#case = case.name.clone();
        let err = b
            .create_disciplinary_decision(CreateDisciplinaryDecisionRequest {
                decision: Some(d),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["decision.case"], "{backend}");
        let listed = b
            .list_disciplinary_decisions(ListDisciplinaryDecisionsRequest {
                member: world.member_b.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(listed.decisions.is_empty(), "{backend}");
    }
}

#[tokio::test]
async fn without_an_identity_for_members_an_expulsion_stays_pending_and_says_why() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let mut a = DisciplineServiceClient::new(world.officer(&[&world.district_a]));
        let mut d = warning(&world, &world.member_a);
        d.form = DisciplineForm::Expulsion as i32;
        let d = a
            .create_disciplinary_decision(CreateDisciplinaryDecisionRequest {
                decision: Some(d),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(d.members_effect, MembersEffect::Pending as i32, "{backend}");
        let mut why = String::new();
        for _ in 0..100 {
            let jobs = world
                .jobs()
                .list_jobs(probity_proto::probity::oversight::v1::ListJobsRequest::default())
                .await
                .unwrap()
                .into_inner()
                .jobs;
            if let Some(job) = jobs.iter().find(|j| d.name.ends_with(&j.key))
                && !job.last_error.is_empty()
            {
                why = job.last_error.clone();
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(why.contains("no identity"), "{backend}: {why}");
    }
}
