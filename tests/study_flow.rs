//! Study end to end, with members and study as separate servers: a plan
//! over a small tree, classes, attendance (unary and streamed), closing,
//! non-members, make-ups, learning reports, supervision, progress rolled
//! up, absentees and warnings, the audit log, scope, and what happens when
//! members goes away. On every backend.

use probity_e2e::Stack;
use probity_platform::testing::{Authed, backends};
use probity_proto::{
    google::r#type::Date,
    probity::{
        members::v1::{
            CreateMemberRequest, CreateOrganizationRequest, Gender, Member, MemberEventKind,
            Organization, OrganizationKind, RecordMemberEventRequest,
            member_service_client::MemberServiceClient,
            organization_service_client::OrganizationServiceClient,
        },
        study::v1::{
            AttendanceEntry, CancelClassRequest, ClassFormat, CloseClassRequest,
            CreateClassRequest, CreateDocumentRequest, CreatePlanRequest,
            CreateSupervisionVisitRequest, Document, EvaluateLearningReportRequest,
            GetPlanProgressRequest, GrantReportExtensionRequest, LearningReportRequirement,
            LearningReportState, ListAttendanceRequest, ListAuditEntriesRequest,
            ListClassesRequest, ListNonMemberAttendeesRequest, ListPlanAbsenteesRequest,
            ListPlanWarningsRequest, NonMemberAttendee, Plan, ProgressBreakdown,
            RecordAttendanceRequest, ReopenLearningReportRequest, ReportGrade,
            SetNonMemberAttendanceRequest, StreamAttendanceRequest, StudyClass,
            SubmitLearningReportRequest, SupervisionRating, SupervisionVisit,
            VerifyAuditChainRequest, WarningKind, audit_service_client::AuditServiceClient,
            class_service_client::ClassServiceClient,
            document_service_client::DocumentServiceClient,
            learning_report_service_client::LearningReportServiceClient,
            plan_service_client::PlanServiceClient,
            supervision_service_client::SupervisionServiceClient,
        },
    },
};
use tonic::Code;
use tonic_types::StatusExt;

fn date(y: i32, m: i32, d: i32) -> Option<Date> {
    Some(Date {
        year: y,
        month: m,
        day: d,
    })
}

/// 09:00 in Vietnam on the day.
fn at(y: i32, m: i32, d: i32) -> Option<prost_types::Timestamp> {
    let days = days_from_civil(y, m, d);
    Some(prost_types::Timestamp {
        seconds: days * 86_400 + 2 * 3600,
        nanos: 0,
    })
}

fn days_from_civil(y: i32, m: i32, d: i32) -> i64 {
    let y = i64::from(if m <= 2 { y - 1 } else { y });
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

fn reason(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|i| i.reason.clone())
        .unwrap_or_default()
}

struct World {
    province: String,
    district: String,
    grassroots: String,
    c1: String,
    c2: String,
    other: String,
    /// Members of c1 (the first is exempt from 2016-06-01).
    c1_members: Vec<String>,
    /// Members of c2.
    c2_members: Vec<String>,
    /// Joins c2 on 2016-12-20, after the first class.
    late_joiner: String,
}

async fn org(
    client: &mut OrganizationServiceClient<Authed>,
    parent: &str,
    code: &str,
    kind: OrganizationKind,
) -> String {
    client
        .create_organization(CreateOrganizationRequest {
            organization: Some(Organization {
                code: code.into(),
                display_name: format!("Tổ chức {code}"),
                kind: kind as i32,
                parent: parent.into(),
                valid_from: date(2000, 1, 1),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name
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
    let mut orgs = OrganizationServiceClient::new(stack.members_admin());
    let mut members = MemberServiceClient::new(stack.members_admin());
    let province = org(&mut orgs, "", "TU", Province).await;
    let district = org(&mut orgs, &province, "HU", District).await;
    let grassroots = org(&mut orgs, &district, "CS", Grassroots).await;
    let c1 = org(&mut orgs, &grassroots, "C1", Cell).await;
    let c2 = org(&mut orgs, &grassroots, "C2", Cell).await;
    let other = org(&mut orgs, "", "OTHER", Province).await;
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
    let other_cell = org(&mut orgs, &other, "OC", Cell).await;
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
        other,
        c1_members,
        c2_members,
        late_joiner,
    }
}

fn plan_request(scope: &str, documents: Vec<String>) -> CreatePlanRequest {
    CreatePlanRequest {
        plan: Some(Plan {
            symbol: "31-KH/TU".into(),
            issue_date: date(2016, 11, 30),
            title: "Học tập, quán triệt Nghị quyết Trung ương 4 khóa XII".into(),
            documents,
            scope: scope.into(),
            audience: "Cán bộ, đảng viên".into(),
            period_start: date(2016, 12, 1),
            period_end: date(2017, 2, 28),
            reference_date: date(2016, 11, 30),
            learning_report: Some(LearningReportRequirement {
                required: true,
                due_days: 10,
                cutoff_date: date(2017, 3, 15),
            }),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

fn class(plan: &str, org: &str, title: &str, day: (i32, i32, i32)) -> StudyClass {
    StudyClass {
        plan: plan.into(),
        organization: org.into(),
        title: title.into(),
        start_time: at(day.0, day.1, day.2),
        format: ClassFormat::InPerson as i32,
        venue: "Hội trường xã".into(),
        ..Default::default()
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

fn entry(member: &str, status: &str) -> AttendanceEntry {
    AttendanceEntry {
        member: member.into(),
        status: status.into(),
        remark: String::new(),
    }
}

#[tokio::test]
async fn a_plan_from_classes_to_progress() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;
        let w = world(&stack).await;
        let mut docs = DocumentServiceClient::new(stack.study_admin());
        let mut plans = PlanServiceClient::new(stack.study_admin());
        let mut classes = ClassServiceClient::new(stack.study_admin());
        let mut reports = LearningReportServiceClient::new(stack.study_admin());

        let doc = docs
            .create_document(CreateDocumentRequest {
                document: Some(Document {
                    symbol: "04-NQ/TW".into(),
                    issue_date: date(2016, 10, 30),
                    title: "Nghị quyết Hội nghị Trung ương 4 khóa XII".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();

        // Validation: every bad field named, nothing created.
        let mut bad = plan_request("organizations/nope", vec![]);
        if let Some(p) = bad.plan.as_mut() {
            p.symbol = "31/TU".into();
            p.period_end = date(2016, 1, 1);
        }
        let err = plans.create_plan(bad).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{backend}");
        let f = fields(&err);
        for want in ["plan.symbol", "plan.documents", "plan.period_end"] {
            assert!(f.iter().any(|x| x == want), "{backend}: {want} in {f:?}");
        }
        // A scope members does not know.
        let err = plans
            .create_plan(plan_request(
                "organizations/0190d5f2a1b27c3d8e9f00112233aabb",
                vec![doc.name.clone()],
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{backend}: {err:?}");
        assert_eq!(fields(&err), vec!["plan.scope".to_string()]);

        let plan = plans
            .create_plan(plan_request(&w.province, vec![doc.name.clone()]))
            .await
            .unwrap()
            .into_inner();
        // 6 + 4 members, one exempt; the late joiner was elsewhere on the
        // reference date.
        assert_eq!(plan.eligible_members, 9, "{backend}");
        assert_eq!(plan.attendance_statuses.len(), 4);
        assert_eq!(plan.unmarked_status, "absent");
        let again = plans
            .create_plan(plan_request(&w.province, vec![doc.name.clone()]))
            .await
            .unwrap_err();
        assert_eq!(again.code(), Code::AlreadyExists, "{backend}");

        // Classes: inside the scope and the period only.
        let err = classes
            .create_class(CreateClassRequest {
                study_class: Some(class(&plan.name, &w.other, "Ngoài phạm vi", (2016, 12, 10))),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(fields(&err), vec!["study_class.organization".to_string()]);
        let err = classes
            .create_class(CreateClassRequest {
                study_class: Some(StudyClass {
                    format: ClassFormat::Online as i32,
                    ..class(&plan.name, &w.grassroots, "Ngoài thời gian", (2017, 6, 1))
                }),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        let f = fields(&err);
        assert!(f.contains(&"study_class.start_time".to_string()), "{f:?}");
        assert!(f.contains(&"study_class.online_link".to_string()), "{f:?}");

        let grassroots_class = classes
            .create_class(CreateClassRequest {
                study_class: Some(class(
                    &plan.name,
                    &w.grassroots,
                    "Hội nghị quán triệt",
                    (2016, 12, 10),
                )),
                request_id: "gc-1".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(grassroots_class.class_date, date(2016, 12, 10));

        // Unary attendance: a member outside the organiser's roster on the
        // class date is named, and nothing of the call is recorded.
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
        assert_eq!(err.code(), Code::InvalidArgument);
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

        // Streamed attendance: batch 1 recorded, batch 2 has a bad row.
        let batches = vec![
            StreamAttendanceRequest {
                study_class: grassroots_class.name.clone(),
                entries: vec![
                    entry(&w.c1_members[1], "present"),
                    entry(&w.c1_members[2], "late"),
                    entry(&w.c1_members[0], "present"), // exempt, attends anyway
                ],
                request_id: "b1".into(),
            },
            StreamAttendanceRequest {
                study_class: String::new(),
                entries: vec![
                    entry(&w.c2_members[0], "present"),
                    entry("members/not-an-id!", "present"),
                ],
                request_id: "b2".into(),
            },
        ];
        let err = classes
            .stream_attendance(futures::stream::iter(batches))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{backend}: {err:?}");
        let f = fields(&err);
        assert_eq!(
            f,
            vec![
                "batches[1].entries[1].member".to_string(),
                "batches[1]".to_string()
            ]
        );
        let listed = classes
            .list_attendance(ListAttendanceRequest {
                study_class: grassroots_class.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .records;
        assert_eq!(listed.len(), 3, "{backend}: batch 1 only");

        // The rest in one good stream of two batches.
        let done = classes
            .stream_attendance(futures::stream::iter(vec![
                StreamAttendanceRequest {
                    study_class: grassroots_class.name.clone(),
                    entries: vec![
                        entry(&w.c1_members[3], "present"),
                        entry(&w.c2_members[0], "present"),
                    ],
                    request_id: String::new(),
                },
                StreamAttendanceRequest {
                    study_class: String::new(),
                    entries: vec![AttendanceEntry {
                        member: w.c2_members[1].clone(),
                        status: "excused".into(),
                        remark: "Đi công tác".into(),
                    }],
                    request_id: String::new(),
                },
            ]))
            .await
            .unwrap()
            .into_inner();
        assert_eq!((done.batches, done.entries), (2, 3));
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

        // A make-up class at the cell: c2[2] attends it, and c1[1] shows up
        // again (counted once). The late joiner attends too (not eligible).
        let makeup = schedule(
            &mut classes,
            StudyClass {
                make_up_for: grassroots_class.name.clone(),
                ..class(&plan.name, &w.grassroots, "Lớp học bù", (2017, 1, 5))
            },
        )
        .await;
        classes
            .record_attendance(RecordAttendanceRequest {
                study_class: makeup.name.clone(),
                entries: vec![
                    entry(&w.c2_members[2], "present"),
                    entry(&w.c1_members[1], "present"),
                    entry(&w.late_joiner, "present"),
                ],
                request_id: String::new(),
            })
            .await
            .unwrap();
        // Closing a make-up expects only those who missed the original.
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

        // A briefing that does not count, attended by c1[4] only.
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
        classes
            .record_attendance(RecordAttendanceRequest {
                study_class: briefing.name.clone(),
                entries: vec![entry(&w.c1_members[4], "present")],
                request_id: String::new(),
            })
            .await
            .unwrap();
        // A cancelled class does not count either.
        let cancelled = schedule(
            &mut classes,
            class(&plan.name, &w.c2, "Hoãn", (2017, 1, 20)),
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
        assert_eq!(fields(&err), vec!["reason".to_string()]);
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

        // Non-members: 20 counted, 3 named at the first class (two with
        // identity numbers); one of them named again at the make-up.
        let attendees = |ids: &[&str]| -> Vec<NonMemberAttendee> {
            ids.iter()
                .enumerate()
                .map(|(i, id)| NonMemberAttendee {
                    full_name: format!("Quần chúng {i}"),
                    identity_number: id.to_string(),
                    note: String::new(),
                })
                .collect()
        };
        let err = classes
            .set_non_member_attendance(SetNonMemberAttendanceRequest {
                study_class: grassroots_class.name.clone(),
                head_count: 20,
                attendees: attendees(&["072000000001", "072000000001"]),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(
            fields(&err),
            vec!["attendees[1].identity_number".to_string()]
        );
        let c = classes
            .set_non_member_attendance(SetNonMemberAttendanceRequest {
                study_class: grassroots_class.name.clone(),
                head_count: 20,
                attendees: attendees(&["072000000001", "072000000002", ""]),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(c.non_members, 23);
        classes
            .set_non_member_attendance(SetNonMemberAttendanceRequest {
                study_class: makeup.name.clone(),
                head_count: 0,
                attendees: attendees(&["072000000001"]),
                request_id: String::new(),
            })
            .await
            .unwrap();
        let named = classes
            .list_non_member_attendees(ListNonMemberAttendeesRequest {
                study_class: grassroots_class.name.clone(),
                page_size: 2,
                page_token: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(named.attendees.len(), 2);
        assert!(!named.next_page_token.is_empty());

        // Learning reports: attendees only; late flagged; cut-off; an
        // extension; evaluation; reopening.
        let submit = |member: &str, class: &str, day: Option<Date>| SubmitLearningReportRequest {
            study_class: class.into(),
            member: member.into(),
            content: "Bản thu hoạch: những điểm mới của Nghị quyết…".into(),
            submitted_on: day,
            request_id: String::new(),
        };
        let err = reports
            .submit_learning_report(submit(
                &w.c1_members[4],
                &grassroots_class.name,
                date(2016, 12, 12),
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(reason(&err), "NOT_ATTENDED");
        let on_time = reports
            .submit_learning_report(submit(
                &w.c1_members[1],
                &grassroots_class.name,
                date(2016, 12, 15),
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(!on_time.late);
        assert_eq!(on_time.due_date, date(2016, 12, 20));
        let late = reports
            .submit_learning_report(submit(
                &w.c1_members[2],
                &grassroots_class.name,
                date(2016, 12, 28),
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(late.late, "{backend}");
        let err = reports
            .submit_learning_report(submit(
                &w.c1_members[3],
                &grassroots_class.name,
                date(2017, 3, 20),
            ))
            .await
            .unwrap_err();
        assert_eq!(reason(&err), "PAST_CUTOFF", "{backend}: {err:?}");
        let err = reports
            .grant_report_extension(GrantReportExtensionRequest {
                study_class: grassroots_class.name.clone(),
                member: w.c1_members[3].clone(),
                due_date: date(2017, 3, 25),
                reason: String::new(),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&err), vec!["reason".to_string()]);
        let ext = reports
            .grant_report_extension(GrantReportExtensionRequest {
                study_class: grassroots_class.name.clone(),
                member: w.c1_members[3].clone(),
                due_date: date(2017, 3, 25),
                reason: "Điều trị tại bệnh viện".into(),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(ext.granted_by, "admin");
        let extended = reports
            .submit_learning_report(submit(
                &w.c1_members[3],
                &grassroots_class.name,
                date(2017, 3, 20),
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(!extended.late, "{backend}: within its extension");
        let accepted = reports
            .evaluate_learning_report(EvaluateLearningReportRequest {
                name: on_time.name.clone(),
                grade: ReportGrade::Good as i32,
                comments: "Nắm vững nội dung".into(),
                evaluated_on: date(2016, 12, 30),
                etag: on_time.etag.clone(),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(accepted.state, LearningReportState::Accepted as i32);
        assert_eq!(accepted.evaluator, "admin");
        let err = reports
            .evaluate_learning_report(EvaluateLearningReportRequest {
                name: late.name.clone(),
                grade: ReportGrade::Fail as i32,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&err), vec!["comments".to_string()]);
        reports
            .evaluate_learning_report(EvaluateLearningReportRequest {
                name: extended.name.clone(),
                grade: ReportGrade::Excellent as i32,
                evaluated_on: date(2017, 3, 26),
                ..Default::default()
            })
            .await
            .unwrap();
        let reopened = reports
            .reopen_learning_report(ReopenLearningReportRequest {
                name: accepted.name.clone(),
                reason: "Nộp nhầm bản".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(reopened.state, LearningReportState::Reopened as i32);
        assert_eq!(reopened.reopen_reason, "Nộp nhầm bản");
        assert_eq!(reopened.grade, 0);
        let resubmitted = reports
            .submit_learning_report(submit(
                &w.c1_members[1],
                &grassroots_class.name,
                date(2016, 12, 18),
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(resubmitted.name, accepted.name);
        reports
            .evaluate_learning_report(EvaluateLearningReportRequest {
                name: resubmitted.name.clone(),
                grade: ReportGrade::Pass as i32,
                evaluated_on: date(2016, 12, 30),
                ..Default::default()
            })
            .await
            .unwrap();

        // Supervision.
        let mut supervision = SupervisionServiceClient::new(stack.study_admin());
        let err = supervision
            .create_supervision_visit(CreateSupervisionVisitRequest {
                visit: Some(SupervisionVisit {
                    plan: plan.name.clone(),
                    inspecting_organization: w.province.clone(),
                    inspected_organization: w.other.clone(),
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
            vec!["visit.inspected_organization".to_string()]
        );
        supervision
            .create_supervision_visit(CreateSupervisionVisitRequest {
                visit: Some(SupervisionVisit {
                    plan: plan.name.clone(),
                    inspecting_organization: w.province.clone(),
                    inspected_organization: w.c1.clone(),
                    visit_date: date(2017, 1, 10),
                    findings: "Tổ chức học tập nghiêm túc; còn 2 đảng viên vắng.".into(),
                    recommendations: "Tổ chức học bù.".into(),
                    rating: SupervisionRating::Shortcomings as i32,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap();

        // Progress: eligible 9 (c1: 5 without the exempt one; c2: 4).
        // Attended a counted class: c1[1], c1[2], c1[3], c2[0], c2[2] = 5
        // (c1[4] only at the briefing, the exempt member and the late
        // joiner are not eligible).
        let progress = plans
            .get_plan_progress(GetPlanProgressRequest {
                plan: plan.name.clone(),
                breakdown: ProgressBreakdown::Subtree as i32,
                as_of: date(2017, 3, 31),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let total = progress.total.unwrap();
        let att = total.attendance.unwrap();
        assert_eq!((att.numerator, att.denominator), (5, 9), "{backend}");
        assert_eq!(att.percent, "55.56");
        assert_eq!(total.classes_held, 3, "cancelled class left out");
        assert_eq!(total.counted_classes, 2);
        assert_eq!(total.make_up_classes, 1);
        assert_eq!(
            total.non_members, 23,
            "the named one at two classes counted once"
        );
        assert_eq!(total.reports_submitted, 3);
        assert_eq!(total.reports_late, 1);
        assert_eq!(total.reports_accepted, 2);
        let completion = total.completion.unwrap();
        assert_eq!(completion.numerator, 2, "attended and report accepted");
        assert_eq!(total.supervision_visits, 1);
        // Roll-up: each parent is the sum of its children.
        let by_name = |name: &str| {
            progress
                .breakdown
                .iter()
                .find(|o| o.organization == name)
                .unwrap_or_else(|| panic!("{name} in breakdown"))
                .clone()
        };
        let (c1, c2, gr) = (by_name(&w.c1), by_name(&w.c2), by_name(&w.grassroots));
        let n = |o: &probity_proto::probity::study::v1::OrganizationProgress| {
            let a = o.attendance.clone().unwrap();
            (a.numerator, a.denominator)
        };
        assert_eq!(n(&c1), (3, 5));
        assert_eq!(n(&c2), (2, 4));
        assert_eq!(n(&gr), (5, 9));
        assert_eq!(gr.classes_held, 2, "the grassroots' own classes");
        assert_eq!(by_name(&w.district).classes_held, 3);
        assert_eq!(c1.supervision_visits, 1);

        // Counting the briefing after all brings c1[4] in; and back out.
        let attended_now = |plans: &mut PlanServiceClient<probity_platform::testing::Authed>| {
            let mut plans = plans.clone();
            let plan = plan.name.clone();
            async move {
                plans
                    .get_plan_progress(GetPlanProgressRequest {
                        plan,
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .into_inner()
                    .total
                    .unwrap()
                    .attendance
                    .unwrap()
                    .numerator
            }
        };
        for (counted, want) in [(true, 6), (false, 5)] {
            classes
                .update_class(probity_proto::probity::study::v1::UpdateClassRequest {
                    study_class: Some(StudyClass {
                        name: briefing.name.clone(),
                        excluded_from_rate: !counted,
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["excluded_from_rate".into()],
                    }),
                    request_id: String::new(),
                })
                .await
                .unwrap();
            assert_eq!(attended_now(&mut plans).await, want, "{backend}");
        }

        // Absentees: c1[4], c1[5], c2[1], c2[3], paged.
        let page = plans
            .list_plan_absentees(ListPlanAbsenteesRequest {
                plan: plan.name.clone(),
                page_size: 3,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.members.len(), 3);
        let rest = plans
            .list_plan_absentees(ListPlanAbsenteesRequest {
                plan: plan.name.clone(),
                page_size: 3,
                page_token: page.next_page_token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let mut all: Vec<String> = page
            .members
            .into_iter()
            .chain(rest.members)
            .map(|m| m.member)
            .collect();
        all.sort();
        let mut want = vec![
            w.c1_members[4].clone(),
            w.c1_members[5].clone(),
            w.c2_members[1].clone(),
            w.c2_members[3].clone(),
        ];
        want.sort();
        assert_eq!(all, want, "{backend}");
        let only_c2 = plans
            .list_plan_absentees(ListPlanAbsenteesRequest {
                plan: plan.name.clone(),
                organization: w.c2.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(only_c2.members.len(), 2);

        // Warnings: the four missed every class; reports overdue on
        // 2017-03-31 for c2[0] (class 2016-12-10) and c2[2] (make-up).
        let warnings = plans
            .list_plan_warnings(ListPlanWarningsRequest {
                plan: plan.name.clone(),
                as_of: date(2017, 3, 31),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .warnings;
        let missed: Vec<_> = warnings
            .iter()
            .filter(|x| x.kind == WarningKind::MissedAllClasses as i32)
            .collect();
        let overdue: Vec<_> = warnings
            .iter()
            .filter(|x| x.kind == WarningKind::ReportOverdue as i32)
            .map(|x| x.member.clone().unwrap().member)
            .collect();
        assert_eq!(missed.len(), 4, "{backend}: {warnings:?}");
        let mut overdue_want = vec![w.c2_members[0].clone(), w.c2_members[2].clone()];
        overdue_want.sort();
        let mut overdue = overdue;
        overdue.sort();
        assert_eq!(overdue, overdue_want, "{backend}");

        // Scope: a writer for C2 reads the plan and schedules for C2; C1 is
        // hidden from them (members does not show it); a reader over the
        // whole tree may not write at all.
        let c2_id = probity_platform::resource::parse_name("", &w.c2, "organizations").unwrap();
        let cell_writer = stack.study_as(&["writer"], &[c2_id]);
        let mut cell_plans = PlanServiceClient::new(cell_writer.clone());
        cell_plans
            .get_plan(probity_proto::probity::study::v1::GetPlanRequest {
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

        // The audit log: every write, the chain intact.
        let mut audit = AuditServiceClient::new(stack.study_admin());
        let entries = audit
            .list_audit_entries(ListAuditEntriesRequest {
                resource: format!(
                    "{}/reportExtensions/{}",
                    grassroots_class.name,
                    probity_platform::resource::parse_name("", &w.c1_members[3], "members")
                        .unwrap()
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

        // Members goes away: reads keep working, writes that need members
        // fail with UNAVAILABLE and write nothing.
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
        let Stack { members, study } = stack;
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
