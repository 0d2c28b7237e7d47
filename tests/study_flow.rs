//! Study with members as its own server, study calling members over gRPC:
//! what crosses the two services. The eligible roster a plan takes from
//! members, attendance checked against members' roster on the class date,
//! the caller's scope applied by members, and members going away. On
//! every backend. Study's own rules are tested in `services/study/tests`
//! against a fake members service.

use probity_e2e::Stack;
use probity_platform::testing::{Authed, backends};
use probity_proto::{
    google::r#type::Date,
    probity::{
        members::v1::{
            CreateMemberRequest, Gender, Member, MemberEventKind, OrganizationKind,
            RecordMemberEventRequest, member_service_client::MemberServiceClient,
        },
        study::v1::{
            AttendanceEntry, CloseClassRequest, CreateClassRequest, GetPlanProgressRequest,
            GetPlanRequest, ListAttendanceRequest, ListClassesRequest, Plan,
            RecordAttendanceRequest, StreamAttendanceRequest, StudyClass,
            class_service_client::ClassServiceClient, plan_service_client::PlanServiceClient,
        },
    },
};
use requests::{class, date, entry, fields, plan_request};
use tonic::Code;

#[path = "../services/study/tests/common/requests.rs"]
mod requests;

struct World {
    province: String,
    district: String,
    grassroots: String,
    c1: String,
    c2: String,
    /// Members of c1 (the first is exempt from 2016-06-01).
    c1_members: Vec<String>,
    /// Members of c2.
    c2_members: Vec<String>,
    /// Joins c2 on 2016-12-20, after the first class.
    late_joiner: String,
}

async fn member(
    client: &mut MemberServiceClient<Authed>,
    org: &str,
    card: u32,
    admitted: Option<Date>,
) -> String {
    client
        .create_member(CreateMemberRequest {
            member: Some(Member {
                party_card_number: format!("{}", 90_000_000 + card),
                full_name: format!("Đảng viên {card}"),
                date_of_birth: date(1980, 1, 1),
                gender: Gender::Male as i32,
                organization: org.into(),
                admission_date: admitted,
                ..Default::default()
            }),
            official_date: admitted.map(|d| Date {
                year: d.year + 1,
                ..d
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name
}

/// TU → HU → CS → {C1 (6 members, one exempt), C2 (4 members)}, and OTHER
/// (a province outside the plan's scope) with one member who transfers
/// into C2 on 2016-12-20.
async fn world(stack: &Stack) -> World {
    use OrganizationKind::*;
    let mut members = MemberServiceClient::new(stack.members_admin());
    let province = stack.org("", "TU", Province).await;
    let district = stack.org(&province, "HU", District).await;
    let grassroots = stack.org(&district, "CS", Grassroots).await;
    let c1 = stack.org(&grassroots, "C1", Cell).await;
    let c2 = stack.org(&grassroots, "C2", Cell).await;
    let other = stack.org("", "OTHER", Province).await;
    let mut c1_members = Vec::new();
    for i in 0..6 {
        c1_members.push(member(&mut members, &c1, i, date(2010, 3, 1)).await);
    }
    let mut c2_members = Vec::new();
    for i in 10..14 {
        c2_members.push(member(&mut members, &c2, i, date(2010, 3, 1)).await);
    }
    members
        .record_member_event(RecordMemberEventRequest {
            member: c1_members[0].clone(),
            kind: MemberEventKind::Exempted as i32,
            effective_date: date(2016, 6, 1),
            ..Default::default()
        })
        .await
        .unwrap();
    let other_cell = stack.org(&other, "OC", Cell).await;
    let late_joiner = member(&mut members, &other_cell, 99, date(2010, 3, 1)).await;
    members
        .record_member_event(RecordMemberEventRequest {
            member: late_joiner.clone(),
            kind: MemberEventKind::Transferred as i32,
            effective_date: date(2016, 12, 20),
            target_organization: c2.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    World {
        province,
        district,
        grassroots,
        c1,
        c2,
        c1_members,
        c2_members,
        late_joiner,
    }
}

/// Schedules a class that must be accepted.
async fn schedule(client: &mut ClassServiceClient<Authed>, c: StudyClass) -> StudyClass {
    client
        .create_class(CreateClassRequest {
            study_class: Some(c),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
}

/// Records document 04-NQ/TW and plan 31-KH/TU over the province.
async fn plan(stack: &Stack, w: &World) -> Plan {
    let doc = stack.document().await;
    PlanServiceClient::new(stack.study_admin())
        .create_plan(plan_request(&w.province, vec![doc]))
        .await
        .unwrap()
        .into_inner()
}

async fn record(
    classes: &mut ClassServiceClient<Authed>,
    class: &str,
    entries: Vec<AttendanceEntry>,
) {
    classes
        .record_attendance(RecordAttendanceRequest {
            study_class: class.into(),
            entries,
            request_id: String::new(),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_plan_takes_its_eligible_roster_from_members() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;
        let w = world(&stack).await;
        let doc_name = plan(&stack, &w).await.documents[0].clone();
        // A scope members does not know.
        let err = PlanServiceClient::new(stack.study_admin())
            .create_plan(plan_request(
                "organizations/0190d5f2a1b27c3d8e9f00112233aabb",
                vec![doc_name],
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{backend}: {err:?}");
        assert_eq!(fields(&err), vec!["plan.scope".to_string()]);
        let plans = PlanServiceClient::new(stack.study_admin())
            .list_plans(probity_proto::probity::study::v1::ListPlansRequest::default())
            .await
            .unwrap()
            .into_inner()
            .plans;
        // 6 + 4 members, one exempt; the late joiner was elsewhere on the
        // reference date.
        assert_eq!(plans.len(), 1);
        assert_eq!(plans[0].eligible_members, 9, "{backend}");
    }
}

#[tokio::test]
async fn attendance_is_checked_against_the_organisers_roster_on_the_class_date() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;
        let w = world(&stack).await;
        let plan = plan(&stack, &w).await;
        let mut classes = ClassServiceClient::new(stack.study_admin());
        let grassroots_class = schedule(
            &mut classes,
            class(
                &plan.name,
                &w.grassroots,
                "Hội nghị quán triệt",
                (2016, 12, 10),
            ),
        )
        .await;
        // A member outside the organiser's roster on the class date is
        // named, and nothing of the call is recorded.
        let err = classes
            .record_attendance(RecordAttendanceRequest {
                study_class: grassroots_class.name.clone(),
                entries: vec![
                    entry(&w.c1_members[1], "present"),
                    entry(&w.late_joiner, "present"),
                    entry(&w.c1_members[2], "sleeping"),
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
        let listed = classes
            .list_attendance(ListAttendanceRequest {
                study_class: grassroots_class.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(listed.records.is_empty(), "{backend}: nothing recorded");
        // Streamed, the exempt member attending anyway.
        let done = classes
            .stream_attendance(futures::stream::iter(vec![
                StreamAttendanceRequest {
                    study_class: grassroots_class.name.clone(),
                    entries: vec![
                        entry(&w.c1_members[1], "present"),
                        entry(&w.c1_members[2], "late"),
                        entry(&w.c1_members[0], "present"),
                    ],
                    request_id: "b1".into(),
                },
                StreamAttendanceRequest {
                    study_class: String::new(),
                    entries: vec![
                        entry(&w.c1_members[3], "present"),
                        entry(&w.c2_members[0], "present"),
                        entry(&w.c2_members[1], "excused"),
                    ],
                    request_id: "b2".into(),
                },
            ]))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(done.study_class.as_ref().unwrap().members_attended, 5);
        // Closing: unmarked expected members become absent: c1[4], c1[5],
        // c2[2], c2[3]; not the exempt member (marked anyway) nor the late
        // joiner (not a member there on the class date).
        let closed = classes
            .close_class(CloseClassRequest {
                name: grassroots_class.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(closed.members_recorded, 10, "{backend}");
        assert_eq!(closed.members_attended, 5);
        let absent = classes
            .list_attendance(ListAttendanceRequest {
                study_class: grassroots_class.name.clone(),
                status: "absent".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .records;
        assert_eq!(absent.len(), 4);
        assert!(absent.iter().all(|r| r.defaulted && !r.attended));
        assert!(!absent.iter().any(|r| r.member == w.late_joiner));
        // A make-up after the transfer: the late joiner may attend it, and
        // closing it expects only those who missed the original.
        let makeup = schedule(
            &mut classes,
            StudyClass {
                make_up_for: grassroots_class.name.clone(),
                ..class(&plan.name, &w.grassroots, "Lớp học bù", (2017, 1, 5))
            },
        )
        .await;
        record(
            &mut classes,
            &makeup.name,
            vec![
                entry(&w.c2_members[2], "present"),
                entry(&w.c1_members[1], "present"),
                entry(&w.late_joiner, "present"),
            ],
        )
        .await;
        let closed = classes
            .close_class(CloseClassRequest {
                name: makeup.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        // Recorded 3 + defaulted: c1[4], c1[5], c2[1] (excused), c2[3].
        assert_eq!(closed.members_recorded, 7, "{backend}");
    }
}

#[tokio::test]
async fn a_writer_sees_only_what_members_shows_them() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;
        let w = world(&stack).await;
        let plan = plan(&stack, &w).await;
        // A writer for C2 reads the plan and schedules for C2; C1 is hidden
        // from them (members does not show it); a reader over the whole
        // tree may not write at all.
        let c2_id = probity_platform::resource::parse_name("", &w.c2, "organizations").unwrap();
        let cell_writer = stack.study_as(&["writer"], &[c2_id]);
        PlanServiceClient::new(cell_writer.clone())
            .get_plan(GetPlanRequest {
                name: plan.name.clone(),
            })
            .await
            .unwrap();
        let mut cell_classes = ClassServiceClient::new(cell_writer);
        schedule(
            &mut cell_classes,
            class(&plan.name, &w.c2, "Chi bộ C2 học tập", (2017, 1, 8)),
        )
        .await;
        let err = cell_classes
            .create_class(CreateClassRequest {
                study_class: Some(class(&plan.name, &w.c1, "Không thấy C1", (2017, 1, 8))),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{backend}: {err:?}");
        let mut reader_classes = ClassServiceClient::new(stack.study_as(&["reader"], &["*"]));
        let err = reader_classes
            .create_class(CreateClassRequest {
                study_class: Some(class(&plan.name, &w.c1, "Chỉ đọc", (2017, 1, 8))),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied, "{backend}: {err:?}");
    }
}

#[tokio::test]
async fn while_members_is_down_reads_work_and_member_writes_record_nothing() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;
        let w = world(&stack).await;
        let plan = plan(&stack, &w).await;
        let mut classes = ClassServiceClient::new(stack.study_admin());
        let held = schedule(
            &mut classes,
            class(
                &plan.name,
                &w.grassroots,
                "Hội nghị quán triệt",
                (2016, 12, 10),
            ),
        )
        .await;
        record(
            &mut classes,
            &held.name,
            vec![
                entry(&w.c1_members[1], "present"),
                entry(&w.c1_members[2], "present"),
                entry(&w.c1_members[3], "present"),
                entry(&w.c2_members[0], "present"),
                entry(&w.c2_members[2], "present"),
            ],
        )
        .await;
        let briefing = schedule(
            &mut classes,
            StudyClass {
                excluded_from_rate: true,
                ..class(
                    &plan.name,
                    &w.district,
                    "Hội nghị báo cáo viên",
                    (2016, 12, 5),
                )
            },
        )
        .await;
        record(
            &mut classes,
            &briefing.name,
            vec![entry(&w.c1_members[4], "present")],
        )
        .await;
        let before = classes
            .list_classes(ListClassesRequest {
                plan: plan.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .classes
            .len();
        let Stack { members, study, .. } = stack;
        members.server.shutdown().await.unwrap();
        let mut classes = ClassServiceClient::new(study.admin());
        let err = classes
            .create_class(CreateClassRequest {
                study_class: Some(class(&plan.name, &w.c2, "Khi members ngừng", (2017, 2, 1))),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unavailable, "{backend}: {err:?}");
        assert!(err.message().contains("members"), "{}", err.message());
        let err = classes
            .close_class(CloseClassRequest {
                name: briefing.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unavailable, "{backend}");
        let after = classes
            .list_classes(ListClassesRequest {
                plan: plan.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .classes;
        assert_eq!(after.len(), before, "{backend}: nothing written");
        let b = after.iter().find(|c| c.name == briefing.name).unwrap();
        assert_eq!(
            b.members_recorded, 1,
            "{backend}: the failed close wrote nothing"
        );
        let still = PlanServiceClient::new(study.admin())
            .get_plan_progress(GetPlanProgressRequest {
                plan: plan.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(still.total.unwrap().attendance.unwrap().numerator, 5);
    }
}

#[tokio::test]
async fn a_members_review_evidence_shows_the_classes_study_recorded() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;
        let w = world(&stack).await;
        let plan = plan(&stack, &w).await;
        let mut classes = ClassServiceClient::new(stack.study_admin());
        let held = schedule(
            &mut classes,
            class(&plan.name, &w.c1, "Chi bộ C1 học tập", (2017, 1, 12)),
        )
        .await;
        record(
            &mut classes,
            &held.name,
            vec![entry(&w.c1_members[1], "present")],
        )
        .await;
        let evidence =
            probity_proto::probity::members::v1::review_service_client::ReviewServiceClient::new(
                stack.members_admin(),
            )
            .get_review_evidence(
                probity_proto::probity::members::v1::GetReviewEvidenceRequest {
                    member: w.c1_members[1].clone(),
                    year: 2017,
                },
            )
            .await
            .unwrap()
            .into_inner();
        let attended: Vec<_> = evidence
            .facts
            .iter()
            .filter(|f| f.source == "study" && f.kind == "ATTENDANCE")
            .collect();
        assert_eq!(attended.len(), 1, "{backend}: {:?}", evidence.facts);
        assert_eq!(attended[0].resource, held.name);
        assert!(attended[0].summary.contains("present"));
    }
}
