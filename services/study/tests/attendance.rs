//! Attendance and non-members through the generated client, study alone
//! against a fake members service, on every backend.

mod common;

use common::{Study, backends, fields, scenario};
use probity_proto::probity::study::v1::{
    AttendanceEntry, ListAttendanceRequest, ListNonMemberAttendeesRequest, RecordAttendanceRequest,
    SetNonMemberAttendanceRequest, StudyClass,
};
use tonic::Code;

/// The plan and its grassroots class of 10/12/2016.
async fn grassroots_class(study: &Study) -> StudyClass {
    let plan = scenario::plan(study).await;
    scenario::schedule(
        &mut study.classes(),
        scenario::class(
            &plan.name,
            &study.world.grassroots,
            "Hội nghị quán triệt",
            (2016, 12, 10),
        ),
    )
    .await
}

async fn recorded(study: &Study, class: &str) -> usize {
    study
        .classes()
        .list_attendance(ListAttendanceRequest {
            study_class: class.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .records
        .len()
}

#[tokio::test]
async fn a_call_with_bad_rows_names_them_and_records_nothing() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let w = &study.world;
        let class = grassroots_class(&study).await;
        let err = study
            .classes()
            .record_attendance(RecordAttendanceRequest {
                study_class: class.name.clone(),
                entries: vec![
                    scenario::entry(&w.c1_members[1], "present"),
                    scenario::entry(&w.late_joiner, "present"),
                    scenario::entry(&w.c1_members[2], "sleeping"),
                ],
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{backend}");
        assert_eq!(
            fields(&err),
            vec![
                "entries[1].member".to_string(),
                "entries[2].status".to_string()
            ]
        );
        assert!(err.message().contains("2016-12-10"), "{}", err.message());
        assert_eq!(
            recorded(&study, &class.name).await,
            0,
            "{backend}: nothing recorded"
        );
    }
}

#[tokio::test]
async fn a_stream_records_each_batch_until_a_bad_one() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let w = &study.world;
        let class = grassroots_class(&study).await;
        let err = scenario::stream(
            &study,
            &class.name,
            vec![
                vec![
                    scenario::entry(&w.c1_members[1], "present"),
                    scenario::entry(&w.c1_members[2], "late"),
                    scenario::entry(&w.c1_members[0], "present"), // exempt, attends anyway
                ],
                vec![
                    scenario::entry(&w.c2_members[0], "present"),
                    scenario::entry("members/not-an-id!", "present"),
                ],
            ],
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{backend}: {err:?}");
        assert_eq!(
            fields(&err),
            vec![
                "batches[1].entries[1].member".to_string(),
                "batches[1]".to_string()
            ]
        );
        assert_eq!(
            recorded(&study, &class.name).await,
            3,
            "{backend}: batch 1 only"
        );
    }
}

#[tokio::test]
async fn a_stream_of_good_batches_records_them_all() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let w = &study.world;
        let class = grassroots_class(&study).await;
        scenario::record(
            &study,
            &class.name,
            vec![
                scenario::entry(&w.c1_members[1], "present"),
                scenario::entry(&w.c1_members[2], "late"),
                scenario::entry(&w.c1_members[0], "present"),
            ],
        )
        .await;
        let done = scenario::stream(
            &study,
            &class.name,
            vec![
                vec![
                    scenario::entry(&w.c1_members[3], "present"),
                    scenario::entry(&w.c2_members[0], "present"),
                ],
                vec![AttendanceEntry {
                    member: w.c2_members[1].clone(),
                    status: "excused".into(),
                    remark: "Đi công tác".into(),
                }],
            ],
        )
        .await
        .unwrap();
        assert_eq!((done.batches, done.entries), (2, 3), "{backend}");
        assert_eq!(done.study_class.as_ref().unwrap().members_attended, 5);
    }
}

#[tokio::test]
async fn closing_marks_the_expected_members_left_unmarked_absent() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let played = scenario::Played::play(&study).await;
        let w = &study.world;
        let absent = study
            .classes()
            .list_attendance(ListAttendanceRequest {
                study_class: played.grassroots_class.name.clone(),
                status: "absent".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .records;
        // c1[4], c1[5], c2[2], c2[3]; not the exempt member (marked
        // anyway) nor the late joiner (not a member there on the class
        // date).
        assert_eq!(absent.len(), 4, "{backend}");
        assert!(absent.iter().all(|r| r.defaulted && !r.attended));
        assert!(!absent.iter().any(|r| r.member == w.late_joiner));
        assert_eq!(recorded(&study, &played.grassroots_class.name).await, 10);
    }
}

#[tokio::test]
async fn non_members_are_counted_and_an_identity_named_once_per_class() {
    for backend in backends() {
        let study = Study::start(&backend).await;
        let class = grassroots_class(&study).await;
        let mut classes = study.classes();
        let err = classes
            .set_non_member_attendance(SetNonMemberAttendanceRequest {
                study_class: class.name.clone(),
                head_count: 20,
                attendees: scenario::attendees(&["072000000001", "072000000001"]),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            fields(&err),
            vec!["attendees[1].identity_number".to_string()],
            "{backend}"
        );
        let c = classes
            .set_non_member_attendance(SetNonMemberAttendanceRequest {
                study_class: class.name.clone(),
                head_count: 20,
                attendees: scenario::attendees(&["072000000001", "072000000002", ""]),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(c.non_members, 23);
        let named = classes
            .list_non_member_attendees(ListNonMemberAttendeesRequest {
                study_class: class.name.clone(),
                page_size: 2,
                page_token: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(named.attendees.len(), 2);
        assert!(!named.next_page_token.is_empty());
    }
}
