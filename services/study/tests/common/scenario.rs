//! The study scenario the tests share: plan 31-KH/TU of 30/11/2016 over the
//! province, a grassroots class with streamed attendance, a make-up, a
//! briefing left out of the rate, a cancelled class, non-members, learning
//! reports and a supervision visit. Each step is a function, so a test
//! plays as much of it as its behaviour needs.

use probity_platform::testing::Authed;
use probity_proto::probity::study::v1::{
    AttendanceEntry, CancelClassRequest, CloseClassRequest, CreateClassRequest,
    CreateDocumentRequest, CreateSupervisionVisitRequest, Document, EvaluateLearningReportRequest,
    GrantReportExtensionRequest, LearningReport, Plan, RecordAttendanceRequest,
    ReopenLearningReportRequest, ReportGrade, SetNonMemberAttendanceRequest,
    StreamAttendanceRequest, StreamAttendanceResponse, StudyClass, SubmitLearningReportRequest,
    SupervisionRating, SupervisionVisit, class_service_client::ClassServiceClient,
};

pub use super::requests::{attendees, class, entry, plan_request, submission};
use super::{Study, date};

/// Records document 04-NQ/TW.
pub async fn document(study: &Study) -> Document {
    study
        .documents()
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
        .into_inner()
}

/// Records the document and plan 31-KH/TU over the province.
pub async fn plan(study: &Study) -> Plan {
    let doc = document(study).await;
    study
        .plans()
        .create_plan(plan_request(&study.world.province, vec![doc.name]))
        .await
        .unwrap()
        .into_inner()
}

/// Schedules a class that must be accepted.
pub async fn schedule(client: &mut ClassServiceClient<Authed>, c: StudyClass) -> StudyClass {
    client
        .create_class(CreateClassRequest {
            study_class: Some(c),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
}

/// Records `entries` at `class` in one call that must be accepted.
pub async fn record(study: &Study, class: &str, entries: Vec<AttendanceEntry>) {
    study
        .classes()
        .record_attendance(RecordAttendanceRequest {
            study_class: class.into(),
            entries,
            request_id: String::new(),
        })
        .await
        .unwrap();
}

/// Streams `batches` of entries at `class` (the class named on the first).
pub async fn stream(
    study: &Study,
    class: &str,
    batches: Vec<Vec<AttendanceEntry>>,
) -> Result<StreamAttendanceResponse, tonic::Status> {
    let messages: Vec<StreamAttendanceRequest> = batches
        .into_iter()
        .enumerate()
        .map(|(i, entries)| StreamAttendanceRequest {
            study_class: if i == 0 { class.into() } else { String::new() },
            entries,
            request_id: format!("batch-{i}"),
        })
        .collect();
    study
        .classes()
        .stream_attendance(futures::stream::iter(messages))
        .await
        .map(tonic::Response::into_inner)
}

/// Closes `class`, which must be accepted.
pub async fn close(study: &Study, class: &str) -> StudyClass {
    study
        .classes()
        .close_class(CloseClassRequest {
            name: class.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

/// Submits a report that must be accepted.
pub async fn submit(study: &Study, req: SubmitLearningReportRequest) -> LearningReport {
    study
        .reports()
        .submit_learning_report(req)
        .await
        .unwrap()
        .into_inner()
}

/// What the whole scenario leaves.
pub struct Played {
    pub plan: Plan,
    /// The grassroots class of 10/12/2016, closed.
    pub grassroots_class: StudyClass,
    /// Its make-up of 05/01/2017 at the grassroots, closed.
    pub makeup: StudyClass,
    /// The district's briefing of 05/12/2016, left out of the rate.
    pub briefing: StudyClass,
    /// C2's class of 20/01/2017, cancelled.
    pub cancelled: StudyClass,
}

impl Played {
    /// Plays the whole scenario: attendance at the grassroots class
    /// (c1[1] present, c1[2] late, the exempt c1[0] present, c1[3] and
    /// c2[0] present, c2[1] excused), closed; the make-up attended by c2[2],
    /// c1[1] and the late joiner, closed; the briefing attended by c1[4];
    /// C2's class cancelled; 20 + 3 named non-members at the grassroots
    /// class (two with identity numbers), one of them named again at the
    /// make-up; reports by c1[1] (on time, accepted, reopened, resubmitted,
    /// passed), c1[2] (late) and c1[3] (after the cut-off, within an
    /// extension, excellent); the province's visit to C1.
    pub async fn play(study: &Study) -> Self {
        let w = &study.world;
        let plan = plan(study).await;
        let mut classes = study.classes();
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
        stream(
            study,
            &grassroots_class.name,
            vec![
                vec![
                    entry(&w.c1_members[1], "present"),
                    entry(&w.c1_members[2], "late"),
                    entry(&w.c1_members[0], "present"),
                ],
                vec![
                    entry(&w.c1_members[3], "present"),
                    entry(&w.c2_members[0], "present"),
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
        close(study, &grassroots_class.name).await;
        let makeup = schedule(
            &mut classes,
            StudyClass {
                make_up_for: grassroots_class.name.clone(),
                ..class(&plan.name, &w.grassroots, "Lớp học bù", (2017, 1, 5))
            },
        )
        .await;
        record(
            study,
            &makeup.name,
            vec![
                entry(&w.c2_members[2], "present"),
                entry(&w.c1_members[1], "present"),
                entry(&w.late_joiner, "present"),
            ],
        )
        .await;
        close(study, &makeup.name).await;
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
            study,
            &briefing.name,
            vec![entry(&w.c1_members[4], "present")],
        )
        .await;
        let cancelled = schedule(
            &mut classes,
            class(&plan.name, &w.c2, "Hoãn", (2017, 1, 20)),
        )
        .await;
        classes
            .cancel_class(CancelClassRequest {
                name: cancelled.name.clone(),
                reason: "Bão".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        for (class, head_count, ids) in [
            (
                &grassroots_class.name,
                20,
                vec!["072000000001", "072000000002", ""],
            ),
            (&makeup.name, 0, vec!["072000000001"]),
        ] {
            classes
                .set_non_member_attendance(SetNonMemberAttendanceRequest {
                    study_class: class.clone(),
                    head_count,
                    attendees: attendees(&ids),
                    request_id: String::new(),
                })
                .await
                .unwrap();
        }
        let mut reports = study.reports();
        let on_time = submit(
            study,
            submission(&w.c1_members[1], &grassroots_class.name, date(2016, 12, 15)),
        )
        .await;
        submit(
            study,
            submission(&w.c1_members[2], &grassroots_class.name, date(2016, 12, 28)),
        )
        .await;
        reports
            .grant_report_extension(GrantReportExtensionRequest {
                study_class: grassroots_class.name.clone(),
                member: w.c1_members[3].clone(),
                due_date: date(2017, 3, 25),
                reason: "Điều trị tại bệnh viện".into(),
                request_id: String::new(),
            })
            .await
            .unwrap();
        let extended = submit(
            study,
            submission(&w.c1_members[3], &grassroots_class.name, date(2017, 3, 20)),
        )
        .await;
        let evaluate = |name: &str, grade: ReportGrade, day| EvaluateLearningReportRequest {
            name: name.into(),
            grade: grade as i32,
            comments: String::new(),
            evaluated_on: day,
            etag: String::new(),
            request_id: String::new(),
        };
        reports
            .evaluate_learning_report(evaluate(
                &on_time.name,
                ReportGrade::Good,
                date(2016, 12, 30),
            ))
            .await
            .unwrap();
        reports
            .evaluate_learning_report(evaluate(
                &extended.name,
                ReportGrade::Excellent,
                date(2017, 3, 26),
            ))
            .await
            .unwrap();
        reports
            .reopen_learning_report(ReopenLearningReportRequest {
                name: on_time.name.clone(),
                reason: "Nộp nhầm bản".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        let resubmitted = submit(
            study,
            submission(&w.c1_members[1], &grassroots_class.name, date(2016, 12, 18)),
        )
        .await;
        reports
            .evaluate_learning_report(evaluate(
                &resubmitted.name,
                ReportGrade::Pass,
                date(2016, 12, 30),
            ))
            .await
            .unwrap();
        study
            .supervision()
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
        Self {
            plan,
            grassroots_class,
            makeup,
            briefing,
            cancelled,
        }
    }
}
