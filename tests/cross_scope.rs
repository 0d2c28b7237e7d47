//! The cross-scope suite (issue 11): two sibling districts A and B, records
//! of every kind under B's grassroots organisation Bx; for every method of
//! the contract (enumerated from the descriptor set reflection serves) a
//! caller scoped to A, holding every role, is refused or shown nothing of
//! B; a caller scoped to B gets the answers; then Bx moves under A and the
//! answers swap. Every write naming B's records is refused to the caller
//! outside B's scope (A before the move, B after it) and leaves no audit
//! entry. Members, study, oversight and reports run as four servers, on
//! every backend.
//!
//! Every method needs an entry in [`plan`]: a read case, or an exemption
//! with its reason (shared records, whole-tree methods, writes covered by
//! their own tests). A new RPC without one fails here.

use std::{collections::BTreeMap, future::Future, pin::Pin};

use probity_e2e::Stack;
use probity_platform::{
    resource::parse_name,
    testing::{Authed, backends},
};
use probity_proto::probity::{
    members::v1::{
        self as m, book_service_client::BookServiceClient,
        declaration_service_client::DeclarationServiceClient,
        manifestation_service_client::ManifestationServiceClient,
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
        statistics_service_client::StatisticsServiceClient,
    },
    reports::v1::{
        self as r, consistency_service_client::ConsistencyServiceClient,
        period_report_service_client::PeriodReportServiceClient,
        submission_service_client::SubmissionServiceClient,
    },
    study::v1::{
        self as s, class_service_client::ClassServiceClient,
        learning_report_service_client::LearningReportServiceClient,
        plan_service_client::PlanServiceClient,
        study_record_service_client::StudyRecordServiceClient,
        supervision_service_client::SupervisionServiceClient,
    },
};
use prost::Message;
use requests::{attendees, class, date, entry, plan_request, submission};
use tonic::Code;

#[path = "../services/study/tests/common/requests.rs"]
mod requests;
#[path = "cross_scope/writes.rs"]
mod writes;

/// B's records: the names the cases refer to.
#[derive(Clone)]
struct World {
    document: String,
    a: String,
    b: String,
    bx: String,
    cell: String,
    member: String,
    book_entry: String,
    review: String,
    obligation_list: String,
    declaration: String,
    draw: String,
    plan: String,
    class: String,
    report: String,
    visit: String,
    case: String,
    progress_report: String,
    agency: String,
    urging: String,
    decision: String,
    inspection: String,
    recommendation: String,
    /// A named whistleblower report received by Bx, with a message.
    whistle: String,
    /// Bx's period report, issued through the reports service.
    period_report: String,
}

impl World {
    /// Every id of B's records, to look for in answers.
    fn ids(&self) -> Vec<String> {
        [
            &self.bx,
            &self.cell,
            &self.member,
            &self.book_entry,
            &self.obligation_list,
            &self.declaration,
            &self.draw,
            &self.class,
            &self.report,
            &self.visit,
            &self.case,
            &self.progress_report,
            &self.decision,
            &self.inspection,
            &self.recommendation,
            &self.whistle,
            &self.period_report,
        ]
        .iter()
        .map(|n| n.rsplit('/').next().unwrap().to_string())
        .collect()
    }
}

/// TU → {A, B → Bx → BxC (two members)}, records of every kind under Bx,
/// and the province's plan, whose classes, reports and visits are Bx's.
async fn world(stack: &Stack) -> World {
    use m::OrganizationKind::*;
    let admin = stack.members_admin();
    let tu = stack.org("", "TU", Province).await;
    let a = stack.org(&tu, "A", District).await;
    let b = stack.org(&tu, "B", District).await;
    let bx = stack.org(&b, "BX", Grassroots).await;
    let cell = stack.org(&bx, "BXC", Cell).await;
    let member = MemberServiceClient::new(admin.clone())
        .create_member(m::CreateMemberRequest {
            member: Some(m::Member {
                party_card_number: "92000001".into(),
                full_name: "Đảng viên B".into(),
                date_of_birth: date(1980, 1, 1),
                gender: m::Gender::Male as i32,
                organization: cell.clone(),
                admission_date: date(2010, 3, 1),
                ..Default::default()
            }),
            official_date: date(2011, 3, 1),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    MemberServiceClient::new(admin.clone())
        .create_member(m::CreateMemberRequest {
            member: Some(m::Member {
                party_card_number: "92000002".into(),
                full_name: "Đảng viên vắng".into(),
                date_of_birth: date(1981, 1, 1),
                gender: m::Gender::Female as i32,
                organization: cell.clone(),
                admission_date: date(2010, 3, 1),
                ..Default::default()
            }),
            official_date: date(2011, 3, 1),
            request_id: String::new(),
        })
        .await
        .unwrap();
    let book_entry = BookServiceClient::new(admin.clone())
        .create_book_entry(m::CreateBookEntryRequest {
            entry: Some(m::BookEntry {
                member: member.clone(),
                year: 2025,
                kind: m::BookEntryKind::Commitment as i32,
                text: "Giữ gìn phẩm chất đạo đức".into(),
                cited_documents: vec!["04-NQ/TW".into()],
                manifestation_codes: vec!["I-03".into()],
                ..Default::default()
            }),
            submit: true,
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    let review = ReviewServiceClient::new(admin.clone())
        .submit_self_assessment(m::SubmitSelfAssessmentRequest {
            member: member.clone(),
            year: 2025,
            grade: m::Grade::Good as i32,
            comment: "Tự đánh giá".into(),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    let mut decls = DeclarationServiceClient::new(admin.clone());
    let obligation_list = decls
        .create_obligation_list(m::CreateObligationListRequest {
            organization: bx.clone(),
            year: 2025,
            obligations: vec![m::Obligation {
                member: member.clone(),
                leader: true,
                position: "Bí thư".into(),
            }],
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    let declaration = decls
        .submit_declaration(m::SubmitDeclarationRequest {
            declaration: Some(m::Declaration {
                declarant: member.clone(),
                year: 2025,
                kind: m::DeclarationKind::Annual as i32,
                declared_as_of: date(2025, 12, 1),
                received_date: date(2025, 12, 5),
                items: vec![m::DeclarationItem {
                    category: m::AssetCategory::Houses as i32,
                    description: "Nhà ở".into(),
                    value_vnd: 1_000_000_000,
                }],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    let draw = decls
        .draw_verification(m::DrawVerificationRequest {
            organization: bx.clone(),
            year: 2025,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .name;

    let study = stack.study_admin();
    let doc = stack.document().await;
    let plan = PlanServiceClient::new(study.clone())
        .create_plan(plan_request(&tu, vec![doc.clone()]))
        .await
        .unwrap()
        .into_inner()
        .name;
    let mut classes = ClassServiceClient::new(study.clone());
    let class = classes
        .create_class(s::CreateClassRequest {
            study_class: Some(class(&plan, &cell, "Chi bộ BXC học tập", (2017, 1, 8))),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    classes
        .record_attendance(s::RecordAttendanceRequest {
            study_class: class.clone(),
            entries: vec![entry(&member, "present")],
            request_id: String::new(),
        })
        .await
        .unwrap();
    classes
        .set_non_member_attendance(s::SetNonMemberAttendanceRequest {
            study_class: class.clone(),
            head_count: 0,
            attendees: attendees(&["079000000001"]),
            request_id: String::new(),
        })
        .await
        .unwrap();
    let report = LearningReportServiceClient::new(study.clone())
        .submit_learning_report(submission(&member, &class, date(2017, 1, 10)))
        .await
        .unwrap()
        .into_inner()
        .name;
    let visit = SupervisionServiceClient::new(study)
        .create_supervision_visit(s::CreateSupervisionVisitRequest {
            visit: Some(s::SupervisionVisit {
                plan: plan.clone(),
                inspecting_organization: bx.clone(),
                inspected_organization: cell.clone(),
                visit_date: date(2017, 2, 1),
                findings: "Chi bộ học tập nghiêm túc".into(),
                rating: s::SupervisionRating::Good as i32,
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    let (case, progress_report, agency) = oversight_records(stack, &bx, &member).await;
    let urging = monitoring_records(stack, &case, &agency).await;
    let inspection = InspectionServiceClient::new(stack.oversight_admin())
        .create_inspection(o::CreateInspectionRequest {
            inspection: Some(o::Inspection {
                kind: o::InspectionKind::Party as i32,
                organization: bx.clone(),
                subject: member.clone(),
                decision_number: "02-QĐ/UBKT".into(),
                period_start: date(2024, 1, 1),
                period_end: date(2024, 12, 31),
                start_date: date(2025, 2, 1),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    let recommendation = RecommendationServiceClient::new(stack.oversight_admin())
        .create_recommendation(o::CreateRecommendationRequest {
            recommendation: Some(o::Recommendation {
                source: o::RecommendationSource::StateAudit as i32,
                source_document: "45/BC-KTNN".into(),
                source_date: date(2025, 1, 15),
                organization: bx.clone(),
                responsible_person: "Bí thư".into(),
                kind: o::RecommendationKind::RecoverAmount as i32,
                content: "Thu hồi".into(),
                recommended_vnd: 1_000_000,
                due_date: date(2025, 6, 30),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    let decision = DisciplineServiceClient::new(stack.oversight_admin())
        .create_disciplinary_decision(o::CreateDisciplinaryDecisionRequest {
            decision: Some(o::DisciplinaryDecision {
                member: member.clone(),
                form: o::DisciplineForm::Reprimand as i32,
                deciding_organization: bx.clone(),
                decision_number: "03-QĐ/UBKT".into(),
                decision_date: date(2025, 5, 1),
                effective_date: date(2025, 5, 1),
                r#case: case.clone(),
                reason: "Vi phạm".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    let whistle = whistle_report(stack, &bx).await;
    let period_report = PeriodReportServiceClient::new(stack.reports_admin())
        .issue_report(r::IssueReportRequest {
            organization: bx.clone(),
            period_start: date(2024, 1, 1),
            period_end: date(2025, 12, 31),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    World {
        document: doc,
        a,
        b,
        bx,
        cell,
        member,
        book_entry,
        review,
        obligation_list,
        declaration,
        draw,
        plan,
        class,
        report,
        visit,
        case,
        progress_report,
        agency,
        urging,
        decision,
        inspection,
        recommendation,
        whistle,
        period_report,
    }
}

/// A named denunciation received by Bx, with a message to its reporter:
/// the report's name.
async fn whistle_report(stack: &Stack, bx: &str) -> String {
    let mut reports = ReportServiceClient::new(stack.oversight_admin());
    let name = reports
        .create_report(o::CreateReportRequest {
            report: Some(o::Report {
                organization: bx.into(),
                channel: o::ReportChannel::Mail as i32,
                category: o::ReportCategory::Reflection as i32,
                content: "Phản ánh về việc thu phí".into(),
                received_date: date(2025, 3, 1),
                ..Default::default()
            }),
            reporter: Some(o::ReporterIdentity {
                full_name: "Người phản ánh".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .report
        .unwrap()
        .name;
    reports
        .post_report_message(o::PostReportMessageRequest {
            parent: name.clone(),
            message: Some(o::ReportMessage {
                text: "Đã nhận".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();
    name
}

/// Bx's case designated for monitoring, with a directive and an urging of
/// its agency, and the escalation the runner records for it (overdue since
/// 2025): the urging's name.
async fn monitoring_records(stack: &Stack, case: &str, agency: &str) -> String {
    let mut monitoring = MonitoringServiceClient::new(stack.oversight_admin());
    monitoring
        .designate_case(o::DesignateCaseRequest {
            parent: case.into(),
            designation: Some(o::Designation {
                designated_by: o::DesignatingBody::SteeringCommittee as i32,
                decision_number: "01-QĐ/BCĐ".into(),
                decision_date: date(2025, 4, 1),
                criteria: vec![o::DesignationCriterion::Serious as i32],
                reason: "Nghiêm trọng".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap();
    let directive = monitoring
        .create_directive(o::CreateDirectiveRequest {
            parent: case.into(),
            directive: Some(o::Directive {
                agency: agency.into(),
                content: "Khẩn trương xác minh".into(),
                due_date: date(2099, 1, 1),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    let urging = monitoring
        .create_urging(o::CreateUrgingRequest {
            parent: case.into(),
            urging: Some(o::Urging {
                agency: agency.into(),
                directive,
                content: "Đề nghị báo cáo".into(),
                requested_deadline: date(2099, 1, 1),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    for _ in 0..100 {
        let found = monitoring
            .list_escalations(o::ListEscalationsRequest {
                parent: case.into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .escalations;
        if !found.is_empty() {
            return urging;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no escalation recorded for the designated case in 10 s");
}

/// Bx's case in oversight, about B's member, with a progress report of the
/// agency handling it: (case, report, agency).
async fn oversight_records(stack: &Stack, bx: &str, member: &str) -> (String, String, String) {
    let admin = stack.oversight_admin();
    let agency = stack
        .agency(
            "CSDT",
            "Cơ quan Cảnh sát điều tra",
            o::AgencyKind::Investigation,
        )
        .await;
    let mut cases = CaseServiceClient::new(admin);
    let case = cases
        .create_case(o::CreateCaseRequest {
            r#case: Some(o::Case {
                code: "VV-BX-1".into(),
                title: "Vụ việc ở BX".into(),
                kind: o::CaseKind::Incident as i32,
                sector: "sectors/land".into(),
                jurisdiction: bx.into(),
                handling_agencies: vec![agency.clone()],
                subjects: vec![o::CaseSubject {
                    member: member.into(),
                    ..Default::default()
                }],
                intakes: vec![o::CaseIntake {
                    origin: o::CaseOrigin::Denunciation as i32,
                    origin_reference: "Đơn BX-1".into(),
                    received_date: date(2025, 3, 1),
                    summary: "Tố cáo".into(),
                }],
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    let report = cases
        .create_progress_report(o::CreateProgressReportRequest {
            parent: case.clone(),
            report: Some(o::ProgressReport {
                agency: agency.clone(),
                report_date: date(2025, 3, 10),
                summary: "Đang xác minh".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .name;
    (case, report, agency)
}

/// A call's answer: the response, encoded, or the status.
type Answer = Result<Vec<u8>, tonic::Status>;
type Call = Pin<Box<dyn Future<Output = Answer> + Send>>;

/// One caller's channels to the four services.
#[derive(Clone)]
struct Channels {
    members: Authed,
    study: Authed,
    oversight: Authed,
    reports: Authed,
}

/// What the suite does with a method.
enum Case {
    /// A read naming B's records: `call` runs it as a caller.
    Read(fn(World, Channels) -> Call),
    /// A write naming B's records: refused to a caller outside B's scope
    /// (`NOT_FOUND` or `PERMISSION_DENIED`, or `INVALID_ARGUMENT` on the
    /// named field whose reference is resolved through members).
    Write(fn(World, Channels) -> Call, Option<&'static str>),
    /// Neither, and why.
    Exempt(&'static str),
}

macro_rules! read {
    ($svc:ident, $client:ident, $method:ident, |$w:ident| $req:expr) => {
        Case::Read(|$w: World, ch: Channels| {
            let channel = ch.$svc;
            Box::pin(async move {
                $client::new(channel)
                    .$method($req)
                    .await
                    .map(|r| r.into_inner().encode_to_vec())
            })
        })
    };
}

const PROVINCE_PLAN: &str = "the province's plan: every unit inside the province reads it \
     (tests/study_flow.rs); B's part of it is read through progress, absentees, warnings, \
     classes, reports and visits below";
const SHARED: &str = "shared records of no organisation: the same for every caller";
const OPEN: &str = "open without a token and without a scope: the receipt code is the only key, \
     wrong and unknown codes answered alike (services/oversight/tests/reports.rs)";
const WHOLE_TREE: &str = "whole-tree method: refused to any scoped caller by the gateway \
     (services/members/tests/authorization.rs)";

/// Every method's case, by `Service/Method`.
fn plan() -> BTreeMap<&'static str, Case> {
    use Case::Exempt;
    let mut p = BTreeMap::new();
    // Members.
    p.insert(
        "OrganizationService/GetOrganization",
        read!(members, OrganizationServiceClient, get_organization, |w| {
            m::GetOrganizationRequest { name: w.bx }
        }),
    );
    p.insert(
        "OrganizationService/ListOrganizations",
        read!(
            members,
            OrganizationServiceClient,
            list_organizations,
            |w| m::ListOrganizationsRequest {
                parent: w.bx,
                include_subtree: true,
                ..Default::default()
            }
        ),
    );
    p.insert(
        "MemberService/GetMember",
        read!(members, MemberServiceClient, get_member, |w| {
            m::GetMemberRequest { name: w.member }
        }),
    );
    p.insert(
        "MemberService/ListMembers",
        read!(members, MemberServiceClient, list_members, |w| {
            m::ListMembersRequest {
                organization: w.bx,
                include_subtree: true,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "MemberService/ListMemberEvents",
        read!(members, MemberServiceClient, list_member_events, |w| {
            m::ListMemberEventsRequest {
                member: w.member,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "BookService/GetBookEntry",
        read!(members, BookServiceClient, get_book_entry, |w| {
            m::GetBookEntryRequest { name: w.book_entry }
        }),
    );
    p.insert(
        "BookService/GetBook",
        read!(members, BookServiceClient, get_book, |w| {
            m::GetBookRequest {
                member: w.member,
                year: 2025,
            }
        }),
    );
    p.insert(
        "BookService/ListRegister",
        read!(members, BookServiceClient, list_register, |w| {
            m::ListRegisterRequest {
                organization: w.bx,
                year: 2025,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "BookService/ListPendingCommitments",
        read!(members, BookServiceClient, list_pending_commitments, |w| {
            m::ListPendingCommitmentsRequest {
                organization: w.bx,
                year: 2025,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "BookService/ListHeadsMissingCommitment",
        read!(
            members,
            BookServiceClient,
            list_heads_missing_commitment,
            |w| m::ListHeadsMissingCommitmentRequest {
                organization: w.bx,
                year: 2025,
                ..Default::default()
            }
        ),
    );
    p.insert(
        "DeclarationService/GetObligationList",
        read!(
            members,
            DeclarationServiceClient,
            get_obligation_list,
            |w| m::GetObligationListRequest {
                name: w.obligation_list
            }
        ),
    );
    p.insert(
        "DeclarationService/GetDeclaration",
        read!(members, DeclarationServiceClient, get_declaration, |w| {
            m::GetDeclarationRequest {
                name: w.declaration,
            }
        }),
    );
    p.insert(
        "DeclarationService/ListDeclarations",
        read!(members, DeclarationServiceClient, list_declarations, |w| {
            m::ListDeclarationsRequest {
                organization: w.bx,
                year: 2025,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "DeclarationService/GetAssetChange",
        read!(members, DeclarationServiceClient, get_asset_change, |w| {
            m::GetAssetChangeRequest {
                declarant: w.member,
                year: 2025,
            }
        }),
    );
    p.insert(
        "DeclarationService/ListAssetChangeFlags",
        read!(
            members,
            DeclarationServiceClient,
            list_asset_change_flags,
            |w| m::ListAssetChangeFlagsRequest {
                organization: w.bx,
                year: 2025,
                ..Default::default()
            }
        ),
    );
    p.insert(
        "DeclarationService/GetVerificationDraw",
        read!(
            members,
            DeclarationServiceClient,
            get_verification_draw,
            |w| m::GetVerificationDrawRequest { name: w.draw }
        ),
    );
    p.insert(
        "ManifestationService/GetManifestationStatistics",
        read!(
            members,
            ManifestationServiceClient,
            get_manifestation_statistics,
            |w| m::GetManifestationStatisticsRequest {
                organization: w.bx,
                year: 2025
            }
        ),
    );
    p.insert(
        "ReviewService/GetReview",
        read!(members, ReviewServiceClient, get_review, |w| {
            m::GetReviewRequest { name: w.review }
        }),
    );
    p.insert(
        "ReviewService/ListReviews",
        read!(members, ReviewServiceClient, list_reviews, |w| {
            m::ListReviewsRequest {
                organization: w.bx,
                year: 2025,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "ReviewService/GetReviewEvidence",
        read!(members, ReviewServiceClient, get_review_evidence, |w| {
            m::GetReviewEvidenceRequest {
                member: w.member,
                year: 2025,
            }
        }),
    );
    p.insert(
        "ReviewService/GetReviewStatistics",
        read!(members, ReviewServiceClient, get_review_statistics, |w| {
            m::GetReviewStatisticsRequest {
                organization: w.bx,
                year: 2025,
            }
        }),
    );
    for shared in [
        "DeclarationService/ListDeclarationRules",
        "ReviewService/ListReviewRules",
        "ManifestationService/ListManifestations",
    ] {
        p.insert(shared, Exempt(SHARED));
    }
    for whole in [
        "ReviewService/CreateReviewRule",
        "AuditService/ListAuditEntries",
        "AuditService/VerifyAuditChain",
        "AuditService/GetAuditCheckpoint",
    ] {
        p.insert(whole, Exempt(WHOLE_TREE));
    }
    writes::add(&mut p);
    p.insert(
        "MemberService/StreamRoster",
        Case::Read(|w, ch| {
            Box::pin(async move {
                let mut stream = MemberServiceClient::new(ch.members)
                    .stream_roster(m::StreamRosterRequest {
                        organization: w.bx,
                        ..Default::default()
                    })
                    .await?
                    .into_inner();
                let mut out = Vec::new();
                while let Some(entry) = stream.message().await? {
                    out.extend(entry.encode_to_vec());
                }
                Ok(out)
            })
        }),
    );
    // Study.
    for shared in ["PlanService/GetPlan", "PlanService/ListPlans"] {
        p.insert(shared, Exempt(PROVINCE_PLAN));
    }
    p.insert(
        "PlanService/GetPlanProgress",
        read!(study, PlanServiceClient, get_plan_progress, |w| {
            s::GetPlanProgressRequest {
                plan: w.plan,
                organization: w.bx,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "PlanService/ListPlanRoster",
        read!(study, PlanServiceClient, list_plan_roster, |w| {
            s::ListPlanRosterRequest {
                plan: w.plan,
                organization: w.bx,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "PlanService/ListPlanAbsentees",
        read!(study, PlanServiceClient, list_plan_absentees, |w| {
            s::ListPlanAbsenteesRequest {
                plan: w.plan,
                organization: w.bx,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "PlanService/ListPlanWarnings",
        read!(study, PlanServiceClient, list_plan_warnings, |w| {
            s::ListPlanWarningsRequest {
                plan: w.plan,
                organization: w.bx,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "ClassService/GetClass",
        read!(study, ClassServiceClient, get_class, |w| {
            s::GetClassRequest { name: w.class }
        }),
    );
    p.insert(
        "ClassService/ListClasses",
        read!(study, ClassServiceClient, list_classes, |w| {
            s::ListClassesRequest {
                plan: w.plan,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "ClassService/ListAttendance",
        read!(study, ClassServiceClient, list_attendance, |w| {
            s::ListAttendanceRequest {
                study_class: w.class,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "ClassService/ListNonMemberAttendees",
        read!(study, ClassServiceClient, list_non_member_attendees, |w| {
            s::ListNonMemberAttendeesRequest {
                study_class: w.class,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "LearningReportService/GetLearningReport",
        read!(
            study,
            LearningReportServiceClient,
            get_learning_report,
            |w| s::GetLearningReportRequest { name: w.report }
        ),
    );
    p.insert(
        "LearningReportService/ListLearningReports",
        read!(
            study,
            LearningReportServiceClient,
            list_learning_reports,
            |w| s::ListLearningReportsRequest {
                plan: w.plan,
                ..Default::default()
            }
        ),
    );
    p.insert(
        "SupervisionService/GetSupervisionVisit",
        read!(
            study,
            SupervisionServiceClient,
            get_supervision_visit,
            |w| s::GetSupervisionVisitRequest { name: w.visit }
        ),
    );
    p.insert(
        "SupervisionService/ListSupervisionVisits",
        read!(
            study,
            SupervisionServiceClient,
            list_supervision_visits,
            |w| s::ListSupervisionVisitsRequest {
                plan: w.plan,
                ..Default::default()
            }
        ),
    );
    p.insert(
        "StudyRecordService/GetMemberStudyRecord",
        read!(
            study,
            StudyRecordServiceClient,
            get_member_study_record,
            |w| s::GetMemberStudyRecordRequest {
                member: w.member,
                year: 2017,
            }
        ),
    );
    for shared in [
        "DocumentService/GetDocument",
        "DocumentService/ListDocuments",
    ] {
        p.insert(shared, Exempt(SHARED));
    }
    for whole in [
        "DocumentService/CreateDocument",
        "DocumentService/UpdateDocument",
    ] {
        p.insert(whole, Exempt(WHOLE_TREE));
    }
    // Oversight.
    p.insert(
        "CaseService/GetCase",
        read!(oversight, CaseServiceClient, get_case, |w| {
            o::GetCaseRequest { name: w.case }
        }),
    );
    p.insert(
        "CaseService/ListCases",
        read!(oversight, CaseServiceClient, list_cases, |w| {
            o::ListCasesRequest {
                organization: w.bx,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "CaseService/ListCaseEvents",
        read!(oversight, CaseServiceClient, list_case_events, |w| {
            o::ListCaseEventsRequest {
                parent: w.case,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "CaseService/ListProgressReports",
        read!(oversight, CaseServiceClient, list_progress_reports, |w| {
            o::ListProgressReportsRequest {
                parent: w.case,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "MonitoringService/GetDesignation",
        read!(oversight, MonitoringServiceClient, get_designation, |w| {
            o::GetDesignationRequest {
                name: format!("{}/designation", w.case),
            }
        }),
    );
    p.insert(
        "MonitoringService/ListMonitoredCases",
        read!(
            oversight,
            MonitoringServiceClient,
            list_monitored_cases,
            |w| o::ListMonitoredCasesRequest {
                organization: w.bx,
                ..Default::default()
            }
        ),
    );
    p.insert(
        "MonitoringService/ListDirectives",
        read!(oversight, MonitoringServiceClient, list_directives, |w| {
            o::ListDirectivesRequest {
                parent: w.case,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "MonitoringService/ListUrgings",
        read!(oversight, MonitoringServiceClient, list_urgings, |w| {
            o::ListUrgingsRequest {
                parent: w.case,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "MonitoringService/ListEscalations",
        read!(oversight, MonitoringServiceClient, list_escalations, |w| {
            o::ListEscalationsRequest {
                parent: w.case,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "StatisticsService/GetCaseStatistics",
        read!(
            oversight,
            StatisticsServiceClient,
            get_case_statistics,
            |w| o::GetCaseStatisticsRequest {
                organization: w.bx,
                from_date: date(2025, 1, 1),
                to_date: date(2025, 12, 31),
                threshold: 0,
            }
        ),
    );
    p.insert(
        "StatisticsService/GetReportStatistics",
        read!(
            oversight,
            StatisticsServiceClient,
            get_report_statistics,
            |w| o::GetReportStatisticsRequest {
                organization: w.bx,
                from_date: date(2025, 1, 1),
                to_date: date(2025, 12, 31),
                threshold: 0,
            }
        ),
    );
    p.insert(
        "StatisticsService/GetRecommendationStatistics",
        read!(
            oversight,
            StatisticsServiceClient,
            get_recommendation_statistics,
            |w| o::GetRecommendationStatisticsRequest {
                organization: w.bx,
                from_date: date(2025, 1, 1),
                to_date: date(2025, 12, 31),
                threshold: 0,
            }
        ),
    );
    p.insert(
        "RecommendationService/GetRecommendation",
        read!(
            oversight,
            RecommendationServiceClient,
            get_recommendation,
            |w| o::GetRecommendationRequest {
                name: w.recommendation
            }
        ),
    );
    p.insert(
        "RecommendationService/ListRecommendations",
        read!(
            oversight,
            RecommendationServiceClient,
            list_recommendations,
            |w| o::ListRecommendationsRequest {
                organization: w.bx,
                ..Default::default()
            }
        ),
    );
    p.insert(
        "RecommendationService/GetImplementationRate",
        read!(
            oversight,
            RecommendationServiceClient,
            get_implementation_rate,
            |w| o::GetImplementationRateRequest {
                organization: w.bx,
                from_date: date(2025, 1, 1),
                to_date: date(2025, 12, 31),
            }
        ),
    );
    p.insert(
        "InspectionService/GetInspection",
        read!(oversight, InspectionServiceClient, get_inspection, |w| {
            o::GetInspectionRequest { name: w.inspection }
        }),
    );
    p.insert(
        "InspectionService/ListInspections",
        read!(oversight, InspectionServiceClient, list_inspections, |w| {
            o::ListInspectionsRequest {
                organization: w.bx,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "DisciplineService/GetDisciplinaryDecision",
        read!(
            oversight,
            DisciplineServiceClient,
            get_disciplinary_decision,
            |w| o::GetDisciplinaryDecisionRequest { name: w.decision }
        ),
    );
    p.insert(
        "DisciplineService/ListDisciplinaryDecisions",
        read!(
            oversight,
            DisciplineServiceClient,
            list_disciplinary_decisions,
            |w| o::ListDisciplinaryDecisionsRequest {
                member: w.member,
                ..Default::default()
            }
        ),
    );
    p.insert(
        "ReportService/GetReport",
        read!(oversight, ReportServiceClient, get_report, |w| {
            o::GetReportRequest { name: w.whistle }
        }),
    );
    p.insert(
        "ReportService/ListReports",
        read!(oversight, ReportServiceClient, list_reports, |w| {
            o::ListReportsRequest {
                organization: w.bx,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "ReportService/ListReportMessages",
        read!(oversight, ReportServiceClient, list_report_messages, |w| {
            o::ListReportMessagesRequest {
                parent: w.whistle,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "ProtectionService/GetProtectionFile",
        read!(
            oversight,
            ProtectionServiceClient,
            get_protection_file,
            |w| o::GetProtectionFileRequest { report: w.whistle }
        ),
    );
    for open in [
        "ReceiptService/CheckReport",
        "ReceiptService/SendReceiptMessage",
    ] {
        p.insert(open, Exempt(OPEN));
    }
    for shared in [
        "ReferenceService/ListSectors",
        "ReferenceService/ListStageLimits",
        "AgencyService/GetAgency",
        "AgencyService/ListAgencies",
    ] {
        p.insert(shared, Exempt(SHARED));
    }
    // Reports.
    p.insert(
        "ReportDefinitionService/ListReportDefinitions",
        Exempt(SHARED),
    );
    p.insert(
        "PeriodReportService/GetReport",
        read!(reports, PeriodReportServiceClient, get_report, |w| {
            r::GetReportRequest {
                name: w.period_report,
            }
        }),
    );
    p.insert(
        "PeriodReportService/ListReports",
        read!(reports, PeriodReportServiceClient, list_reports, |w| {
            r::ListReportsRequest {
                organization: w.bx,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "PeriodReportService/VerifyReport",
        read!(reports, PeriodReportServiceClient, verify_report, |w| {
            r::VerifyReportRequest {
                name: w.period_report,
            }
        }),
    );
    p.insert(
        "SubmissionService/ListSubmissions",
        read!(reports, SubmissionServiceClient, list_submissions, |w| {
            r::ListSubmissionsRequest {
                organization: w.bx,
                period_start: date(2024, 1, 1),
                period_end: date(2025, 12, 31),
            }
        }),
    );
    p.insert(
        "SubmissionService/GetSubmissionAggregate",
        read!(
            reports,
            SubmissionServiceClient,
            get_submission_aggregate,
            |w| r::GetSubmissionAggregateRequest {
                organization: w.bx,
                period_start: date(2024, 1, 1),
                period_end: date(2025, 12, 31),
                threshold: 0,
            }
        ),
    );
    p.insert(
        "ConsistencyService/CheckConsistency",
        read!(reports, ConsistencyServiceClient, check_consistency, |w| {
            r::CheckConsistencyRequest {
                organization: w.bx,
                ..Default::default()
            }
        }),
    );
    p.insert(
        "PeriodReportService/RenderReport",
        read!(reports, PeriodReportServiceClient, render_report, |w| {
            r::RenderReportRequest {
                name: w.period_report,
                format: r::RenderFormat::Csv as i32,
                ..Default::default()
            }
        }),
    );
    for whole in [
        "ProtectionService/RewrapIdentities",
        "AgencyService/CreateAgency",
        "JobService/ListJobs",
        "JobService/RetryJob",
    ] {
        p.insert(whole, Exempt(WHOLE_TREE));
    }
    p
}

/// `Service/Method` of every method of the `probity.*` packages.
fn contract() -> Vec<String> {
    let set = prost_types::FileDescriptorSet::decode(probity_proto::FILE_DESCRIPTOR_SET).unwrap();
    let mut out = Vec::new();
    for file in set
        .file
        .iter()
        .filter(|f| f.package().starts_with("probity."))
    {
        for service in &file.service {
            for method in &service.method {
                out.push(format!("{}/{}", service.name(), method.name()));
            }
        }
    }
    out
}

#[test]
fn every_method_of_the_contract_has_a_case() {
    let cases = plan();
    let missing: Vec<String> = contract()
        .into_iter()
        .filter(|m| !cases.contains_key(m.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "methods without a cross-scope case: {missing:#?}"
    );
}

/// Reads whose answer, even to the owner, names none of B's records: the
/// owner's answer is still compared with the sibling's after the move.
const QUIET_FOR_OWNER: &[&str] = &[
    // B's organisations have no heads.
    "BookService/ListHeadsMissingCommitment",
    // Counts and amounts, no names.
    "RecommendationService/GetImplementationRate",
    // A case's history entries carry stages, dates and reasons, no names
    // (a caller outside the scope gets NOT_FOUND for the case itself).
    "CaseService/ListCaseEvents",
    // Named non-members carry names, not ids.
    "ClassService/ListNonMemberAttendees",
    // The only declaration is the member's first: no change to flag.
    "DeclarationService/ListAssetChangeFlags",
    // Counts by manifestation code: numbers, no names of B's records.
    "ManifestationService/GetManifestationStatistics",
    // Warnings as of today, years after the plan: none due.
    "PlanService/ListPlanWarnings",
];

#[test]
fn every_exemption_says_why() {
    for (method, case) in plan() {
        if let Case::Exempt(why) = case {
            assert!(why.len() > 20, "{method}: {why:?}");
        }
    }
}

/// How a read went for one caller.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    /// Answered, and the answer holds B's records.
    Records,
    /// Answered with nothing of B's (a list filtered to the scope).
    Empty,
    /// `NOT_FOUND`, as for a name that does not exist.
    Hidden,
}

fn seen(method: &str, answer: &Answer, ids: &[String]) -> Seen {
    match answer {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(bytes);
            if ids.iter().any(|id| text.contains(id.as_str())) {
                Seen::Records
            } else {
                Seen::Empty
            }
        }
        Err(e) if e.code() == Code::NotFound => Seen::Hidden,
        Err(e) => panic!("{method}: {e:?}"),
    }
}

/// Channels to the services of a caller scoped to `scope` holding every
/// role (an admin of that subtree, and its protection officer, whose role
/// the admin's does not grant).
fn callers(stack: &Stack, scope: &str) -> Channels {
    let roles = ["admin", "protection-officer"];
    let id = parse_name("", scope, "organizations").unwrap();
    let token = stack.members.token("probe", &roles, &[id]);
    Channels {
        members: stack.members.with_token(&token),
        study: stack.study.with_token(&token),
        oversight: stack.oversight.with_token(&token),
        reports: stack.reports.with_token(&token),
    }
}

/// The fields a status's `BadRequest` names.
fn bad_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

/// Sends every write as a caller scoped to `scope` and checks each is
/// refused as it should be.
async fn refused_writes(stack: &Stack, w: &World, scope: &str, who: &str) {
    let channels = callers(stack, scope);
    for (method, case) in plan() {
        if let Case::Write(call, field) = case {
            let answer = call(w.clone(), channels.clone()).await;
            let Err(status) = answer else {
                panic!("{who}: {method} was let through");
            };
            let refused = match status.code() {
                Code::NotFound | Code::PermissionDenied => true,
                Code::InvalidArgument => field.is_some_and(|f| bad_fields(&status) == [f]),
                _ => false,
            };
            assert!(refused, "{who}: {method}: {status:?}");
        }
    }
}

/// How many audit entries members, study, oversight and reports hold.
async fn audit_entries(stack: &Stack) -> (usize, usize, usize, usize) {
    use probity_proto::probity::{
        members::v1 as ma, oversight::v1 as oa, reports::v1 as ra, study::v1 as sa,
    };
    let mut counts = (0, 0, 0, 0);
    let mut token = String::new();
    loop {
        let page = ma::audit_service_client::AuditServiceClient::new(stack.members_admin())
            .list_audit_entries(ma::ListAuditEntriesRequest {
                page_size: 1000,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        counts.0 += page.entries.len();
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    counts.1 = sa::audit_service_client::AuditServiceClient::new(stack.study_admin())
        .list_audit_entries(sa::ListAuditEntriesRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries
        .len();
    counts.2 = oa::audit_service_client::AuditServiceClient::new(stack.oversight_admin())
        .list_audit_entries(oa::ListAuditEntriesRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries
        .len();
    counts.3 = ra::audit_service_client::AuditServiceClient::new(stack.reports_admin())
        .list_audit_entries(ra::ListAuditEntriesRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entries
        .len();
    counts
}

/// What a caller scoped to `scope` (every role) sees of each read.
async fn sees(stack: &Stack, w: &World, scope: &str) -> BTreeMap<String, Seen> {
    let channels = callers(stack, scope);
    let ids = w.ids();
    let mut out = BTreeMap::new();
    for (method, case) in plan() {
        if let Case::Read(call) = case {
            let answer = call(w.clone(), channels.clone()).await;
            out.insert(method.to_string(), seen(method, &answer, &ids));
        }
    }
    out
}

#[tokio::test]
async fn a_sibling_sees_nothing_and_a_move_swaps_who_does() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;
        let w = world(&stack).await;
        let owner_before = sees(&stack, &w, &w.b).await;
        // The owner sees B's records in every read, but those whose answer
        // names none of them by design.
        for (method, seen) in &owner_before {
            let expected = if QUIET_FOR_OWNER.contains(&method.as_str()) {
                Seen::Empty
            } else {
                Seen::Records
            };
            assert_eq!(seen, &expected, "{backend}: B before the move, {method}");
        }
        let outsider = |who: &str, seen: BTreeMap<String, Seen>| {
            for (method, seen) in seen {
                assert_ne!(seen, Seen::Records, "{backend}: {who}, {method}");
            }
        };
        outsider("A before the move", sees(&stack, &w, &w.a).await);
        let recorded = audit_entries(&stack).await;
        refused_writes(&stack, &w, &w.a, "A before the move").await;
        assert_eq!(
            audit_entries(&stack).await,
            recorded,
            "{backend}: refusals leave no trace"
        );
        OrganizationServiceClient::new(stack.members_admin())
            .move_organization(m::MoveOrganizationRequest {
                name: w.bx.clone(),
                new_parent: w.a.clone(),
                effective_date: date(2020, 1, 1),
                ..Default::default()
            })
            .await
            .unwrap();
        outsider("B after the move", sees(&stack, &w, &w.b).await);
        let recorded = audit_entries(&stack).await;
        refused_writes(&stack, &w, &w.b, "B after the move").await;
        assert_eq!(
            audit_entries(&stack).await,
            recorded,
            "{backend}: refusals leave no trace"
        );
        assert_eq!(
            sees(&stack, &w, &w.a).await,
            owner_before,
            "{backend}: A after the move sees what B saw"
        );
    }
}
