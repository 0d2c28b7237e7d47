//! Plans through the generated client, study alone against a fake members
//! service, on every backend.

mod common;

use common::{Study, backends, date, fields, scenario};
use probity_proto::probity::study::v1::{
    AttendanceStatusDefinition, GetPlanRequest, Plan, RefreshPlanRosterRequest, UpdatePlanRequest,
};
use tonic::Code;

#[tokio::test]
async fn a_plan_with_bad_fields_names_every_one_and_creates_nothing() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let mut bad = scenario::plan_request("organizations/nope", vec![]);
        if let Some(p) = bad.plan.as_mut() {
            p.symbol = "31/TU".into();
            p.period_end = date(2016, 1, 1);
        }
        let err = study.plans().create_plan(bad).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{backend}");
        let f = fields(&err);
        for want in ["plan.symbol", "plan.documents", "plan.period_end"] {
            assert!(f.iter().any(|x| x == want), "{backend}: {want} in {f:?}");
        }
        let listed = study
            .plans()
            .list_plans(probity_proto::probity::study::v1::ListPlansRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert!(listed.plans.is_empty(), "{backend}: nothing created");
    }
}

#[tokio::test]
async fn a_scope_members_does_not_show_is_a_bad_scope() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let doc = scenario::document(&study).await;
        let err = study
            .plans()
            .create_plan(scenario::plan_request(
                "organizations/0190d5f2a1b27c3d8e9f00112233aabb",
                vec![doc.name],
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{backend}: {err:?}");
        assert_eq!(fields(&err), vec!["plan.scope".to_string()]);
    }
}

#[tokio::test]
async fn a_plan_gets_the_default_statuses_and_its_eligible_roster() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let plan = scenario::plan(&study).await;
        // 6 + 4 members, one exempt; the late joiner was elsewhere on the
        // reference date.
        assert_eq!(plan.eligible_members, 9, "{backend}");
        assert_eq!(plan.attendance_statuses.len(), 4);
        assert_eq!(plan.unmarked_status, "absent");
        assert!(plan.roster_time.is_some());
    }
}

#[tokio::test]
async fn a_plan_symbol_is_recorded_once() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let plan = scenario::plan(&study).await;
        let again = study
            .plans()
            .create_plan(scenario::plan_request(
                &study.world.province,
                plan.documents.clone(),
            ))
            .await
            .unwrap_err();
        assert_eq!(again.code(), Code::AlreadyExists, "{backend}");
        assert_eq!(common::reason(&again), "SYMBOL_TAKEN");
    }
}

#[tokio::test]
async fn a_writer_scoped_inside_the_plan_reads_it_and_one_outside_does_not() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let plan = scenario::plan(&study).await;
        let get = |channel| {
            let name = plan.name.clone();
            async move {
                probity_proto::probity::study::v1::plan_service_client::PlanServiceClient::new(
                    channel,
                )
                .get_plan(GetPlanRequest { name })
                .await
            }
        };
        get(study.channel_as(&["writer"], &["c2"])).await.unwrap();
        let err = get(study.channel_as(&["writer"], &["other"]))
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Code::NotFound,
            "{backend}: not yours is not found"
        );
    }
}

#[tokio::test]
async fn statuses_freeze_once_attendance_is_recorded() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let w = &study.world;
        let plan = scenario::plan(&study).await;
        let status = |code: &str, attended| AttendanceStatusDefinition {
            code: code.into(),
            label: code.into(),
            counts_as_attended: attended,
        };
        let update = |plan: &Plan, statuses: Vec<AttendanceStatusDefinition>| UpdatePlanRequest {
            plan: Some(Plan {
                name: plan.name.clone(),
                attendance_statuses: statuses,
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["attendance_statuses".into()],
            }),
            request_id: String::new(),
        };
        let two = study
            .plans()
            .update_plan(update(
                &plan,
                vec![status("present", true), status("absent", false)],
            ))
            .await
            .unwrap();
        assert_eq!(two.into_inner().attendance_statuses.len(), 2);
        let mut classes = study.classes();
        let c = scenario::schedule(
            &mut classes,
            scenario::class(&plan.name, &w.c1, "Chi bộ C1", (2016, 12, 10)),
        )
        .await;
        scenario::record(
            &study,
            &c.name,
            vec![scenario::entry(&w.c1_members[1], "present")],
        )
        .await;
        let three = vec![
            status("present", true),
            status("late", true),
            status("absent", false),
        ];
        let err = study
            .plans()
            .update_plan(update(&plan, three))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition, "{backend}: {err:?}");
        assert_eq!(common::reason(&err), "ATTENDANCE_RECORDED");
    }
}

#[tokio::test]
async fn a_refreshed_roster_takes_late_corrections() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let plan = scenario::plan(&study).await;
        // A member recorded late, in C2 since 2015.
        study
            .members
            .member("c2-late", &study.world.c2, common::day(2015, 1, 1));
        let refreshed = study
            .plans()
            .refresh_plan_roster(RefreshPlanRosterRequest {
                name: plan.name.clone(),
                etag: plan.etag.clone(),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(refreshed.eligible_members, 10, "{backend}");
        assert_ne!(refreshed.etag, plan.etag);
    }
}
