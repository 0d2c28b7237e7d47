//! Classes through the generated client, study alone against a fake members
//! service, on every backend.

mod common;

use common::{Study, backends, date, fields, reason, scenario};
use probity_proto::probity::study::v1::{
    CancelClassRequest, ClassFormat, ClassState, CloseClassRequest, CreateClassRequest,
    ListAttendanceRequest, StudyClass, UpdateClassRequest,
};
use tonic::Code;

#[tokio::test]
async fn a_class_outside_the_plans_scope_is_refused() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let plan = scenario::plan(&study).await;
        let err = study
            .classes()
            .create_class(CreateClassRequest {
                study_class: Some(scenario::class(
                    &plan.name,
                    &study.world.other,
                    "Ngoài phạm vi",
                    (2016, 12, 10),
                )),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{backend}");
        assert_eq!(fields(&err), vec!["study_class.organization".to_string()]);
    }
}

#[tokio::test]
async fn a_class_outside_the_period_and_without_its_link_names_both() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let plan = scenario::plan(&study).await;
        let err = study
            .classes()
            .create_class(CreateClassRequest {
                study_class: Some(StudyClass {
                    format: ClassFormat::Online as i32,
                    ..scenario::class(
                        &plan.name,
                        &study.world.grassroots,
                        "Ngoài thời gian",
                        (2017, 6, 1),
                    )
                }),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        let f = fields(&err);
        assert!(
            f.contains(&"study_class.start_time".to_string()),
            "{backend}: {f:?}"
        );
        assert!(f.contains(&"study_class.online_link".to_string()), "{f:?}");
    }
}

#[tokio::test]
async fn a_class_is_dated_on_its_day_in_vietnam() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let plan = scenario::plan(&study).await;
        let created = study
            .classes()
            .create_class(CreateClassRequest {
                study_class: Some(scenario::class(
                    &plan.name,
                    &study.world.grassroots,
                    "Hội nghị quán triệt",
                    (2016, 12, 10),
                )),
                request_id: "gc-1".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(created.class_date, date(2016, 12, 10), "{backend}");
        assert_eq!(created.state, ClassState::Scheduled as i32);
    }
}

#[tokio::test]
async fn a_cancellation_needs_a_reason_and_keeps_it() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let plan = scenario::plan(&study).await;
        let mut classes = study.classes();
        let cancelled = scenario::schedule(
            &mut classes,
            scenario::class(&plan.name, &study.world.c2, "Hoãn", (2017, 1, 20)),
        )
        .await;
        let err = classes
            .cancel_class(CancelClassRequest {
                name: cancelled.name.clone(),
                reason: " ".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&err), vec!["reason".to_string()], "{backend}");
        let c = classes
            .cancel_class(CancelClassRequest {
                name: cancelled.name.clone(),
                reason: "Bão".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(c.cancel_reason, "Bão");
        assert_eq!(c.state, ClassState::Cancelled as i32);
    }
}

#[tokio::test]
async fn a_held_class_is_not_cancelled() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let w = &study.world;
        let plan = scenario::plan(&study).await;
        let mut classes = study.classes();
        let held = scenario::schedule(
            &mut classes,
            scenario::class(&plan.name, &w.c1, "Chi bộ C1", (2016, 12, 10)),
        )
        .await;
        scenario::record(
            &study,
            &held.name,
            vec![scenario::entry(&w.c1_members[1], "present")],
        )
        .await;
        let err = classes
            .cancel_class(CancelClassRequest {
                name: held.name.clone(),
                reason: "Nhầm".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(reason(&err), "CLASS_HELD", "{backend}");
    }
}

#[tokio::test]
async fn a_make_up_expects_only_those_who_missed_the_class_it_makes_up_for() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let played = scenario::Played::play(&study).await;
        let makeup = study
            .classes()
            .get_class(probity_proto::probity::study::v1::GetClassRequest {
                name: played.makeup.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        // Recorded 3 + defaulted: c1[4], c1[5], c2[1] (excused), c2[3].
        assert_eq!(makeup.members_recorded, 7, "{backend}");
        assert_eq!(makeup.state, ClassState::Closed as i32);
    }
}

#[tokio::test]
async fn a_closed_class_is_not_closed_again() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let plan = scenario::plan(&study).await;
        let mut classes = study.classes();
        let c = scenario::schedule(
            &mut classes,
            scenario::class(&plan.name, &study.world.c2, "Chi bộ C2", (2016, 12, 12)),
        )
        .await;
        let closed = scenario::close(&study, &c.name).await;
        assert_eq!(
            closed.members_recorded, 4,
            "{backend}: C2's four, all absent"
        );
        let err = classes
            .close_class(CloseClassRequest {
                name: c.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(reason(&err), "CLASS_CLOSED", "{backend}");
    }
}

#[tokio::test]
async fn a_class_with_attendance_keeps_its_date() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let w = &study.world;
        let plan = scenario::plan(&study).await;
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
        let err = classes
            .update_class(UpdateClassRequest {
                study_class: Some(StudyClass {
                    name: c.name.clone(),
                    start_time: common::at(2016, 12, 11),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["start_time".into()],
                }),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(reason(&err), "ATTENDANCE_RECORDED", "{backend}: {err:?}");
        let listed = classes
            .list_attendance(ListAttendanceRequest {
                study_class: c.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed.records.len(), 1);
    }
}
