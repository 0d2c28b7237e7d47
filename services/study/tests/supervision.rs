//! Supervision visits, the audit log and the server's clock, through the
//! generated client, study alone against a fake members service, on every
//! backend.

mod common;

use common::{Study, backends, date, fields, scenario};
use probity_proto::probity::study::v1::{
    CreateSupervisionVisitRequest, ListAuditEntriesRequest, ListSupervisionVisitsRequest,
    SupervisionRating, SupervisionVisit, VerifyAuditChainRequest,
};
use tonic::Code;

#[tokio::test]
async fn a_visit_outside_the_plans_scope_is_refused() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let plan = scenario::plan(&study).await;
        let err = study
            .supervision()
            .create_supervision_visit(CreateSupervisionVisitRequest {
                visit: Some(SupervisionVisit {
                    plan: plan.name.clone(),
                    inspecting_organization: study.world.province.clone(),
                    inspected_organization: study.world.other.clone(),
                    visit_date: date(2017, 1, 10),
                    findings: "…".into(),
                    rating: SupervisionRating::Good as i32,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            fields(&err),
            vec!["visit.inspected_organization".to_string()],
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_visits_findings_are_read_only_by_who_may_read_its_plan() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let played = scenario::Played::play(&study).await;
        let list = |channel| {
            let plan = played.plan.name.clone();
            async move {
                probity_proto::probity::study::v1::supervision_service_client::SupervisionServiceClient::new(channel)
                    .list_supervision_visits(ListSupervisionVisitsRequest {
                        plan,
                        ..Default::default()
                    })
                    .await
            }
        };
        let visits = list(study.server.admin())
            .await
            .unwrap()
            .into_inner()
            .visits;
        assert_eq!(visits.len(), 1, "{backend}");
        assert_eq!(visits[0].rating, SupervisionRating::Shortcomings as i32);
        let err = list(study.channel_as(&["reader"], &["other"]))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound, "{backend}");
    }
}

#[tokio::test]
async fn every_write_is_in_the_audit_chain() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let played = scenario::Played::play(&study).await;
        let mut audit = study.audit();
        let entries = audit
            .list_audit_entries(ListAuditEntriesRequest {
                resource: format!(
                    "{}/reportExtensions/{}",
                    played.grassroots_class.name,
                    study.world.c1_members[3].trim_start_matches("members/")
                ),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .entries;
        assert_eq!(entries.len(), 1, "{backend}");
        let verified = audit
            .verify_audit_chain(VerifyAuditChainRequest {})
            .await
            .unwrap()
            .into_inner()
            .verification
            .unwrap();
        assert!(verified.valid, "{backend}: {verified:?}");
    }
}

#[tokio::test]
async fn a_plan_issued_after_today_by_the_servers_clock_is_refused() {
    for backend in backends() {
        let study = Study::start_on(&backend, common::day(2016, 11, 29)).await;
        let doc = scenario::document(&study).await;
        let request = scenario::plan_request(&study.world.province, vec![doc.name]);
        let err = study
            .plans()
            .create_plan(request.clone())
            .await
            .unwrap_err();
        assert_eq!(
            fields(&err),
            vec!["plan.issue_date".to_string()],
            "{backend}"
        );
        study.server.clock.set_today(common::day(2016, 11, 30));
        let plan = study
            .plans()
            .create_plan(request)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(plan.issue_date, date(2016, 11, 30), "{backend}");
    }
}
