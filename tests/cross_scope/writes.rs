//! The write cases: each a request the owner could send, naming B's
//! records; a caller outside B's scope must be refused without a trace.

use std::collections::BTreeMap;

use probity_proto::probity::{
    members::v1::{
        self as m, book_service_client::BookServiceClient,
        declaration_service_client::DeclarationServiceClient,
        member_service_client::MemberServiceClient,
        organization_service_client::OrganizationServiceClient,
        review_service_client::ReviewServiceClient,
    },
    oversight::v1::{
        self as o, case_service_client::CaseServiceClient,
        discipline_service_client::DisciplineServiceClient,
        inspection_service_client::InspectionServiceClient,
        monitoring_service_client::MonitoringServiceClient,
        protection_service_client::ProtectionServiceClient,
        recommendation_service_client::RecommendationServiceClient,
        report_service_client::ReportServiceClient,
    },
    reports::v1::{
        self as r, period_report_service_client::PeriodReportServiceClient,
        submission_service_client::SubmissionServiceClient,
    },
    study::v1::{
        self as s, class_service_client::ClassServiceClient,
        learning_report_service_client::LearningReportServiceClient,
        plan_service_client::PlanServiceClient,
        supervision_service_client::SupervisionServiceClient,
    },
};
use prost::Message;
use prost_types::FieldMask;

use super::{
    Case, Channels, World,
    requests::{attendees, class, date, entry, plan_request, submission},
};

fn mask(path: &str) -> Option<FieldMask> {
    Some(FieldMask {
        paths: vec![path.into()],
    })
}

fn new_member(org: &str, card: &str) -> m::CreateMemberRequest {
    m::CreateMemberRequest {
        member: Some(m::Member {
            party_card_number: card.into(),
            full_name: "Đảng viên mới".into(),
            date_of_birth: date(1990, 1, 1),
            gender: m::Gender::Male as i32,
            organization: org.into(),
            admission_date: date(2020, 3, 1),
            ..Default::default()
        }),
        official_date: None,
        request_id: String::new(),
    }
}

macro_rules! change {
    ($svc:ident, $client:ident, $method:ident, |$w:ident| $req:expr) => {
        change!($svc, $client, $method, None, |$w| $req)
    };
    ($svc:ident, $client:ident, $method:ident, $field:expr, |$w:ident| $req:expr) => {
        Case::Write(
            |$w: World, ch: Channels| {
                let channel = ch.$svc;
                Box::pin(async move {
                    $client::new(channel)
                        .$method($req)
                        .await
                        .map(|r| r.into_inner().encode_to_vec())
                })
            },
            $field,
        )
    };
}

/// Adds every write of the services to `p`.
pub fn add(p: &mut BTreeMap<&'static str, Case>) {
    add_oversight(p);
    use m::OrganizationKind::Cell;
    p.insert(
        "OrganizationService/CreateOrganization",
        change!(
            members,
            OrganizationServiceClient,
            create_organization,
            |w| m::CreateOrganizationRequest {
                organization: Some(m::Organization {
                    code: "BXC2".into(),
                    display_name: "Chi bộ mới".into(),
                    kind: Cell as i32,
                    parent: w.bx,
                    valid_from: date(2015, 1, 1),
                    ..Default::default()
                }),
                request_id: String::new(),
            }
        ),
    );
    p.insert(
        "OrganizationService/UpdateOrganization",
        change!(
            members,
            OrganizationServiceClient,
            update_organization,
            |w| m::UpdateOrganizationRequest {
                organization: Some(m::Organization {
                    name: w.bx,
                    display_name: "Đổi tên".into(),
                    ..Default::default()
                }),
                update_mask: mask("display_name"),
            }
        ),
    );
    p.insert(
        "OrganizationService/MoveOrganization",
        change!(members, OrganizationServiceClient, move_organization, |w| {
            m::MoveOrganizationRequest {
                name: w.cell,
                new_parent: w.a,
                effective_date: date(2021, 1, 1),
                ..Default::default()
            }
        }),
    );
    p.insert(
        "OrganizationService/MergeOrganizations",
        change!(
            members,
            OrganizationServiceClient,
            merge_organizations,
            |w| m::MergeOrganizationsRequest {
                target: w.bx,
                sources: vec![w.cell],
                effective_date: date(2021, 1, 1),
                request_id: String::new(),
            }
        ),
    );
    p.insert(
        "MemberService/CreateMember",
        change!(members, MemberServiceClient, create_member, |w| new_member(
            &w.cell, "92000100"
        )),
    );
    p.insert(
        "MemberService/BatchCreateMembers",
        change!(
            members,
            MemberServiceClient,
            batch_create_members,
            Some("requests[0].member.organization"),
            |w| {
                m::BatchCreateMembersRequest {
                    requests: vec![new_member(&w.cell, "92000101")],
                    request_id: String::new(),
                    validate_only: false,
                }
            }
        ),
    );
    p.insert(
        "MemberService/UpdateMember",
        change!(members, MemberServiceClient, update_member, |w| {
            m::UpdateMemberRequest {
                member: Some(m::Member {
                    name: w.member,
                    full_name: "Đổi tên".into(),
                    ..Default::default()
                }),
                update_mask: mask("full_name"),
            }
        }),
    );
    p.insert(
        "MemberService/RecordMemberEvent",
        change!(members, MemberServiceClient, record_member_event, |w| {
            m::RecordMemberEventRequest {
                member: w.member,
                kind: m::MemberEventKind::Exempted as i32,
                effective_date: date(2024, 1, 1),
                ..Default::default()
            }
        }),
    );
    p.insert(
        "BookService/CreateBookEntry",
        change!(members, BookServiceClient, create_book_entry, |w| {
            m::CreateBookEntryRequest {
                entry: Some(m::BookEntry {
                    member: w.member,
                    year: 2024,
                    kind: m::BookEntryKind::Commitment as i32,
                    text: "Cam kết".into(),
                    cited_documents: vec!["04-NQ/TW".into()],
                    manifestation_codes: vec!["I-03".into()],
                    ..Default::default()
                }),
                submit: false,
                request_id: String::new(),
            }
        }),
    );
    p.insert(
        "BookService/UpdateBookEntry",
        change!(members, BookServiceClient, update_book_entry, |w| {
            m::UpdateBookEntryRequest {
                entry: Some(m::BookEntry {
                    name: w.book_entry,
                    text: "Sửa".into(),
                    ..Default::default()
                }),
                update_mask: mask("text"),
            }
        }),
    );
    p.insert(
        "BookService/SubmitBookEntry",
        change!(members, BookServiceClient, submit_book_entry, |w| {
            m::SubmitBookEntryRequest {
                name: w.book_entry,
                etag: String::new(),
            }
        }),
    );
    p.insert(
        "BookService/CorrectBookEntry",
        change!(members, BookServiceClient, correct_book_entry, |w| {
            m::CorrectBookEntryRequest {
                name: w.book_entry,
                correction: Some(m::BookEntry {
                    text: "Đính chính".into(),
                    cited_documents: vec!["04-NQ/TW".into()],
                    manifestation_codes: vec!["I-03".into()],
                    ..Default::default()
                }),
                request_id: String::new(),
            }
        }),
    );
    p.insert(
        "BookService/AddEntryComment",
        change!(members, BookServiceClient, add_entry_comment, |w| {
            m::AddEntryCommentRequest {
                name: w.book_entry,
                text: "Nhận xét".into(),
                request_id: String::new(),
            }
        }),
    );
    p.insert(
        "BookService/SetActionItemStatus",
        change!(members, BookServiceClient, set_action_item_status, |w| {
            m::SetActionItemStatusRequest {
                name: w.book_entry,
                status: m::ActionItemStatus::Planned as i32,
                etag: String::new(),
            }
        }),
    );
    p.insert(
        "BookService/RecordCommitmentResult",
        change!(members, BookServiceClient, record_commitment_result, |w| {
            m::RecordCommitmentResultRequest {
                name: w.book_entry,
                outcome: m::CommitmentOutcome::Kept as i32,
                comment: String::new(),
                request_id: String::new(),
            }
        }),
    );
    p.insert(
        "DeclarationService/CreateObligationList",
        change!(
            members,
            DeclarationServiceClient,
            create_obligation_list,
            |w| m::CreateObligationListRequest {
                organization: w.bx,
                year: 2024,
                obligations: vec![m::Obligation {
                    member: w.member,
                    leader: false,
                    position: String::new()
                }],
                request_id: String::new(),
            }
        ),
    );
    p.insert(
        "DeclarationService/ApproveObligationList",
        change!(
            members,
            DeclarationServiceClient,
            approve_obligation_list,
            |w| m::ApproveObligationListRequest {
                name: w.obligation_list,
                etag: String::new()
            }
        ),
    );
    p.insert(
        "DeclarationService/SubmitDeclaration",
        change!(members, DeclarationServiceClient, submit_declaration, |w| {
            m::SubmitDeclarationRequest {
                declaration: Some(m::Declaration {
                    declarant: w.member,
                    year: 2024,
                    kind: m::DeclarationKind::Annual as i32,
                    declared_as_of: date(2024, 12, 1),
                    received_date: date(2024, 12, 5),
                    items: vec![m::DeclarationItem {
                        category: m::AssetCategory::Houses as i32,
                        description: "Nhà".into(),
                        value_vnd: 1,
                    }],
                    ..Default::default()
                }),
                request_id: String::new(),
            }
        }),
    );
    p.insert(
        "DeclarationService/ReturnDeclaration",
        change!(members, DeclarationServiceClient, return_declaration, |w| {
            m::ReturnDeclarationRequest {
                name: w.declaration,
                returned_date: date(2025, 12, 8),
                reason: "Thiếu".into(),
                etag: String::new(),
            }
        }),
    );
    p.insert(
        "DeclarationService/ResubmitDeclaration",
        change!(
            members,
            DeclarationServiceClient,
            resubmit_declaration,
            |w| m::ResubmitDeclarationRequest {
                name: w.declaration,
                resubmitted_date: date(2025, 12, 9),
                ..Default::default()
            }
        ),
    );
    p.insert(
        "DeclarationService/HandOverDeclaration",
        change!(
            members,
            DeclarationServiceClient,
            hand_over_declaration,
            |w| m::HandOverDeclarationRequest {
                name: w.declaration,
                handed_over_date: date(2025, 12, 10)
            }
        ),
    );
    p.insert(
        "DeclarationService/PublishDeclaration",
        change!(
            members,
            DeclarationServiceClient,
            publish_declaration,
            |w| m::PublishDeclarationRequest {
                name: w.declaration,
                published_date: date(2025, 12, 11),
                place: "Bảng tin".into()
            }
        ),
    );
    p.insert(
        "DeclarationService/DrawVerification",
        change!(members, DeclarationServiceClient, draw_verification, |w| {
            m::DrawVerificationRequest {
                organization: w.bx,
                year: 2025,
                redraw_reason: "Thử lại".into(),
                ..Default::default()
            }
        }),
    );
    p.insert(
        "DeclarationService/RecordVerificationConclusion",
        change!(
            members,
            DeclarationServiceClient,
            record_verification_conclusion,
            |w| m::RecordVerificationConclusionRequest {
                name: w.declaration,
                outcome: m::VerificationOutcome::Honest as i32,
                findings: "Trung thực".into(),
                concluded_date: date(2025, 12, 20),
                request_id: String::new(),
            }
        ),
    );
    p.insert(
        "ReviewService/SubmitSelfAssessment",
        change!(members, ReviewServiceClient, submit_self_assessment, |w| {
            m::SubmitSelfAssessmentRequest {
                member: w.member,
                year: 2024,
                grade: m::Grade::Good as i32,
                comment: "Tự đánh giá".into(),
                request_id: String::new(),
            }
        }),
    );
    p.insert(
        "ReviewService/ProposeGrade",
        change!(members, ReviewServiceClient, propose_grade, |w| {
            m::ProposeGradeRequest {
                name: w.review,
                grade: m::Grade::Good as i32,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "ReviewService/DecideGrade",
        change!(members, ReviewServiceClient, decide_grade, |w| {
            m::DecideGradeRequest {
                name: w.review,
                grade: m::Grade::Good as i32,
                decision_date: date(2025, 12, 20),
                ..Default::default()
            }
        }),
    );

    // Study. A plan or class names its organisation, which study reads from
    // members for the caller: one members does not show them is a bad
    // reference of that field, exactly as one that does not exist.
    p.insert(
        "PlanService/CreatePlan",
        change!(
            study,
            PlanServiceClient,
            create_plan,
            Some("plan.scope"),
            |w| plan_request(&w.bx, vec![w.document])
        ),
    );
    p.insert(
        "PlanService/UpdatePlan",
        change!(study, PlanServiceClient, update_plan, |w| {
            s::UpdatePlanRequest {
                plan: Some(s::Plan {
                    name: w.plan,
                    title: "Đổi".into(),
                    ..Default::default()
                }),
                update_mask: mask("title"),
                request_id: String::new(),
            }
        }),
    );
    p.insert(
        "PlanService/RefreshPlanRoster",
        change!(study, PlanServiceClient, refresh_plan_roster, |w| {
            s::RefreshPlanRosterRequest {
                name: w.plan,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "ClassService/CreateClass",
        change!(
            study,
            ClassServiceClient,
            create_class,
            Some("study_class.organization"),
            |w| s::CreateClassRequest {
                study_class: Some(class(&w.plan, &w.cell, "Lớp mới", (2017, 1, 15))),
                request_id: String::new(),
            }
        ),
    );
    p.insert(
        "ClassService/UpdateClass",
        change!(study, ClassServiceClient, update_class, |w| {
            s::UpdateClassRequest {
                study_class: Some(s::StudyClass {
                    name: w.class,
                    title: "Đổi".into(),
                    ..Default::default()
                }),
                update_mask: mask("title"),
                request_id: String::new(),
            }
        }),
    );
    p.insert(
        "ClassService/CancelClass",
        change!(study, ClassServiceClient, cancel_class, |w| {
            s::CancelClassRequest {
                name: w.class,
                reason: "Hủy".into(),
                ..Default::default()
            }
        }),
    );
    p.insert(
        "ClassService/CloseClass",
        change!(study, ClassServiceClient, close_class, |w| {
            s::CloseClassRequest {
                name: w.class,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "ClassService/RecordAttendance",
        change!(study, ClassServiceClient, record_attendance, |w| {
            s::RecordAttendanceRequest {
                study_class: w.class,
                entries: vec![entry(&w.member, "present")],
                request_id: String::new(),
            }
        }),
    );
    p.insert(
        "ClassService/SetNonMemberAttendance",
        change!(study, ClassServiceClient, set_non_member_attendance, |w| {
            s::SetNonMemberAttendanceRequest {
                study_class: w.class,
                head_count: 1,
                attendees: attendees(&[]),
                request_id: String::new(),
            }
        }),
    );
    p.insert(
        "ClassService/StreamAttendance",
        Case::Write(
            |w, ch| {
                Box::pin(async move {
                    let batch = s::StreamAttendanceRequest {
                        study_class: w.class,
                        entries: vec![entry(&w.member, "present")],
                        request_id: "cross-scope".into(),
                    };
                    ClassServiceClient::new(ch.study)
                        .stream_attendance(futures::stream::iter([batch]))
                        .await
                        .map(|r| r.into_inner().encode_to_vec())
                })
            },
            None,
        ),
    );
    p.insert(
        "LearningReportService/SubmitLearningReport",
        change!(
            study,
            LearningReportServiceClient,
            submit_learning_report,
            |w| submission(&w.member, &w.class, date(2017, 1, 11))
        ),
    );
    p.insert(
        "LearningReportService/EvaluateLearningReport",
        change!(
            study,
            LearningReportServiceClient,
            evaluate_learning_report,
            |w| s::EvaluateLearningReportRequest {
                name: w.report,
                grade: s::ReportGrade::Excellent as i32,
                comments: "Tốt".into(),
                evaluated_on: date(2017, 1, 20),
                ..Default::default()
            }
        ),
    );
    p.insert(
        "LearningReportService/GrantReportExtension",
        change!(
            study,
            LearningReportServiceClient,
            grant_report_extension,
            |w| s::GrantReportExtensionRequest {
                study_class: w.class,
                member: w.member,
                due_date: date(2017, 3, 1),
                reason: "Ốm".into(),
                request_id: String::new(),
            }
        ),
    );
    p.insert(
        "LearningReportService/ReopenLearningReport",
        change!(
            study,
            LearningReportServiceClient,
            reopen_learning_report,
            |w| s::ReopenLearningReportRequest {
                name: w.report,
                reason: "Mở lại".into(),
                ..Default::default()
            }
        ),
    );
    p.insert(
        "SupervisionService/CreateSupervisionVisit",
        change!(
            study,
            SupervisionServiceClient,
            create_supervision_visit,
            Some("visit.inspecting_organization"),
            |w| s::CreateSupervisionVisitRequest {
                visit: Some(s::SupervisionVisit {
                    plan: w.plan,
                    inspecting_organization: w.bx,
                    inspected_organization: w.cell,
                    visit_date: date(2017, 2, 2),
                    findings: "Tốt".into(),
                    rating: s::SupervisionRating::Good as i32,
                    ..Default::default()
                }),
                request_id: String::new(),
            }
        ),
    );
}

/// Oversight's writes naming B's case (or B's organisation and member).
fn add_oversight(p: &mut BTreeMap<&'static str, Case>) {
    p.insert(
        "CaseService/CreateCase",
        change!(
            oversight,
            CaseServiceClient,
            create_case,
            Some("case.jurisdiction"),
            |w| o::CreateCaseRequest {
                r#case: Some(o::Case {
                    code: "VV-BX-2".into(),
                    title: "Vụ việc khác ở BX".into(),
                    kind: o::CaseKind::Incident as i32,
                    sector: "sectors/land".into(),
                    jurisdiction: w.bx,
                    subjects: vec![o::CaseSubject {
                        full_name: "Người ngoài".into(),
                        ..Default::default()
                    }],
                    intakes: vec![o::CaseIntake {
                        origin: o::CaseOrigin::Press as i32,
                        origin_reference: "Báo 2".into(),
                        received_date: date(2025, 3, 2),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                request_id: String::new(),
            }
        ),
    );
    p.insert(
        "CaseService/MoveCase",
        change!(oversight, CaseServiceClient, move_case, |w| {
            o::MoveCaseRequest {
                name: w.case,
                stage: o::CaseStage::Verifying as i32,
                reason: "Xác minh".into(),
                ..Default::default()
            }
        }),
    );
    p.insert(
        "CaseService/SuspendCase",
        change!(oversight, CaseServiceClient, suspend_case, |w| {
            o::SuspendCaseRequest {
                name: w.case,
                reason: "Tạm dừng".into(),
                ..Default::default()
            }
        }),
    );
    p.insert(
        "CaseService/ResumeCase",
        change!(oversight, CaseServiceClient, resume_case, |w| {
            o::ResumeCaseRequest {
                name: w.case,
                reason: "Tiếp tục".into(),
                ..Default::default()
            }
        }),
    );
    p.insert(
        "CaseService/ExtendCaseDeadline",
        change!(oversight, CaseServiceClient, extend_case_deadline, |w| {
            o::ExtendCaseDeadlineRequest {
                name: w.case,
                due_date: date(2030, 1, 1),
                reason: "Gia hạn".into(),
                decision_number: "01/QĐ".into(),
                ..Default::default()
            }
        }),
    );
    p.insert(
        "CaseService/CreateProgressReport",
        change!(oversight, CaseServiceClient, create_progress_report, |w| {
            o::CreateProgressReportRequest {
                parent: w.case,
                report: Some(o::ProgressReport {
                    agency: w.agency,
                    report_date: date(2025, 3, 11),
                    summary: "Báo cáo".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            }
        }),
    );
    p.insert(
        "MonitoringService/DesignateCase",
        change!(oversight, MonitoringServiceClient, designate_case, |w| {
            o::DesignateCaseRequest {
                parent: w.case,
                designation: Some(o::Designation {
                    designated_by: o::DesignatingBody::StandingCommittee as i32,
                    decision_number: "02-QĐ/TU".into(),
                    decision_date: date(2025, 4, 2),
                    criteria: vec![o::DesignationCriterion::Complex as i32],
                    reason: "Phức tạp".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            }
        }),
    );
    p.insert(
        "MonitoringService/CreateDirective",
        change!(oversight, MonitoringServiceClient, create_directive, |w| {
            o::CreateDirectiveRequest {
                parent: w.case,
                directive: Some(o::Directive {
                    agency: w.agency,
                    content: "Chỉ đạo".into(),
                    due_date: date(2099, 1, 1),
                    ..Default::default()
                }),
                request_id: String::new(),
            }
        }),
    );
    p.insert(
        "MonitoringService/CreateUrging",
        change!(oversight, MonitoringServiceClient, create_urging, |w| {
            o::CreateUrgingRequest {
                parent: w.case,
                urging: Some(o::Urging {
                    agency: w.agency,
                    content: "Đôn đốc".into(),
                    requested_deadline: date(2099, 1, 1),
                    ..Default::default()
                }),
                request_id: String::new(),
            }
        }),
    );
    p.insert(
        "MonitoringService/RecordUrgingReply",
        change!(
            oversight,
            MonitoringServiceClient,
            record_urging_reply,
            |w| {
                o::RecordUrgingReplyRequest {
                    name: w.urging,
                    reply: "Trả lời".into(),
                    ..Default::default()
                }
            }
        ),
    );
    p.insert(
        "DisciplineService/CreateDisciplinaryDecision",
        change!(
            oversight,
            DisciplineServiceClient,
            create_disciplinary_decision,
            Some("decision.member"),
            |w| o::CreateDisciplinaryDecisionRequest {
                decision: Some(o::DisciplinaryDecision {
                    member: w.member,
                    form: o::DisciplineForm::Warning as i32,
                    deciding_organization: w.bx,
                    decision_number: "04-QĐ/UBKT".into(),
                    decision_date: date(2025, 5, 2),
                    effective_date: date(2025, 5, 2),
                    reason: "Vi phạm".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            }
        ),
    );
    p.insert(
        "InspectionService/CreateInspection",
        change!(
            oversight,
            InspectionServiceClient,
            create_inspection,
            Some("inspection.organization"),
            |w| o::CreateInspectionRequest {
                inspection: Some(o::Inspection {
                    kind: o::InspectionKind::Party as i32,
                    organization: w.bx,
                    subject: w.member,
                    decision_number: "09-QĐ/UBKT".into(),
                    period_start: date(2024, 1, 1),
                    period_end: date(2024, 12, 31),
                    start_date: date(2025, 2, 2),
                    ..Default::default()
                }),
                request_id: String::new(),
            }
        ),
    );
    p.insert(
        "InspectionService/ConcludeInspection",
        change!(
            oversight,
            InspectionServiceClient,
            conclude_inspection,
            |w| {
                o::ConcludeInspectionRequest {
                    name: w.inspection,
                    findings: "Kết luận".into(),
                    ..Default::default()
                }
            }
        ),
    );
    p.insert(
        "RecommendationService/CreateRecommendation",
        change!(
            oversight,
            RecommendationServiceClient,
            create_recommendation,
            Some("recommendation.organization"),
            |w| o::CreateRecommendationRequest {
                recommendation: Some(o::Recommendation {
                    source: o::RecommendationSource::Inspection as i32,
                    source_document: "12/KL-TTCP".into(),
                    source_date: date(2025, 1, 16),
                    organization: w.bx,
                    responsible_person: "Bí thư".into(),
                    kind: o::RecommendationKind::AmendRules as i32,
                    content: "Sửa quy trình".into(),
                    due_date: date(2025, 6, 30),
                    ..Default::default()
                }),
                request_id: String::new(),
            }
        ),
    );
    p.insert(
        "RecommendationService/ReportRecommendationProgress",
        change!(
            oversight,
            RecommendationServiceClient,
            report_recommendation_progress,
            |w| o::ReportRecommendationProgressRequest {
                name: w.recommendation,
                action_plan: "Kế hoạch".into(),
                ..Default::default()
            }
        ),
    );
    p.insert(
        "RecommendationService/CloseRecommendation",
        change!(
            oversight,
            RecommendationServiceClient,
            close_recommendation,
            |w| o::CloseRecommendationRequest {
                name: w.recommendation,
                outcome: o::RecommendationStatus::Implemented as i32,
                evidence: "Chứng từ".into(),
                ..Default::default()
            }
        ),
    );
    add_reports(p);
}

/// Whistleblower reports and their protection files.
fn add_reports(p: &mut BTreeMap<&'static str, Case>) {
    p.insert(
        "ReportService/CreateReport",
        change!(
            oversight,
            ReportServiceClient,
            create_report,
            Some("report.organization"),
            |w| o::CreateReportRequest {
                report: Some(o::Report {
                    organization: w.bx,
                    channel: o::ReportChannel::InPerson as i32,
                    category: o::ReportCategory::Petition as i32,
                    content: "Kiến nghị".into(),
                    received_date: date(2025, 3, 2),
                    ..Default::default()
                }),
                reporter: None,
                request_id: String::new(),
            }
        ),
    );
    p.insert(
        "ReportService/DecideReport",
        change!(oversight, ReportServiceClient, decide_report, |w| {
            o::DecideReportRequest {
                name: w.whistle,
                decision: o::ReportDecision::Accept as i32,
                decision_date: date(2025, 3, 3),
                decision_number: "3/TB-UBKT".into(),
                ..Default::default()
            }
        }),
    );
    p.insert(
        "ReportService/LinkReportToCase",
        change!(oversight, ReportServiceClient, link_report_to_case, |w| {
            o::LinkReportToCaseRequest {
                name: w.whistle,
                case: w.case,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "ReportService/PostReportMessage",
        change!(oversight, ReportServiceClient, post_report_message, |w| {
            o::PostReportMessageRequest {
                parent: w.whistle,
                message: Some(o::ReportMessage {
                    text: "Ghi chú".into(),
                    internal: true,
                    ..Default::default()
                }),
                request_id: String::new(),
            }
        }),
    );
    p.insert(
        "ProtectionService/RevealReporterIdentity",
        change!(
            oversight,
            ProtectionServiceClient,
            reveal_reporter_identity,
            |w| o::RevealReporterIdentityRequest {
                name: w.whistle,
                reason: "Cần xác minh nhân thân".into(),
            }
        ),
    );
    p.insert(
        "ProtectionService/CreateProtectionEntry",
        change!(
            oversight,
            ProtectionServiceClient,
            create_protection_entry,
            |w| o::CreateProtectionEntryRequest {
                parent: w.whistle,
                entry: Some(o::ProtectionEntry {
                    kind: o::ProtectionEntryKind::Request as i32,
                    date: date(2025, 3, 4),
                    text: "Đề nghị bảo vệ".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            }
        ),
    );
    p.insert(
        "SubmissionService/SubmitReport",
        change!(reports, SubmissionServiceClient, submit_report, |w| {
            r::SubmitReportRequest {
                report: w.period_report,
                request_id: String::new(),
            }
        }),
    );
    p.insert(
        "PeriodReportService/IssueReport",
        change!(reports, PeriodReportServiceClient, issue_report, |w| {
            r::IssueReportRequest {
                organization: w.bx,
                period_start: date(2024, 1, 1),
                period_end: date(2025, 12, 31),
                ..Default::default()
            }
        }),
    );
}
