//! A whistleblower report's life across the services, each its own server:
//! a named denunciation of a member received online, accepted, the case it
//! opens designated for monitoring and ending in a disciplinary decision
//! members caps the member's grade by; the reporter follows it up with the
//! receipt code and no account; the case officers never see who reported;
//! a protection officer reveals the identity once, with a reason, and the
//! reveal is in the protection file and the audit log exactly once. On
//! every backend.

use probity_e2e::Stack;
use probity_platform::testing::backends;
use probity_proto::{
    google::r#type::Date,
    probity::{
        members::v1::{self as m, OrganizationKind, member_service_client::MemberServiceClient},
        oversight::v1::{
            self as o, audit_service_client::AuditServiceClient,
            case_service_client::CaseServiceClient,
            discipline_service_client::DisciplineServiceClient,
            monitoring_service_client::MonitoringServiceClient,
            protection_service_client::ProtectionServiceClient,
            receipt_service_client::ReceiptServiceClient,
            report_service_client::ReportServiceClient,
        },
    },
};

fn date(y: i32, mo: i32, d: i32) -> Option<Date> {
    Some(Date {
        year: y,
        month: mo,
        day: d,
    })
}

fn whistleblower() -> o::ReporterIdentity {
    o::ReporterIdentity {
        full_name: "Võ Thị Giấutên".into(),
        identity_number: "072190001234".into(),
        phone: "0908765432".into(),
        email: "giauten@example.vn".into(),
        address: "Ấp 3, xã Lộc Ninh".into(),
    }
}

#[tokio::test]
async fn a_report_opens_a_case_its_reporter_follows_it_and_one_audited_reveal() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;
        let tu = stack.org("", "TU", OrganizationKind::Province).await;
        let district = stack.org(&tu, "HU", OrganizationKind::District).await;
        let cell = stack
            .org(&district, "CB", OrganizationKind::Grassroots)
            .await;
        let member = MemberServiceClient::new(stack.members_admin())
            .create_member(m::CreateMemberRequest {
                member: Some(m::Member {
                    party_card_number: "93000001".into(),
                    full_name: "Huỳnh Văn Dân".into(),
                    date_of_birth: date(1975, 1, 1),
                    gender: m::Gender::Male as i32,
                    organization: cell,
                    admission_date: date(2000, 3, 1),
                    ..Default::default()
                }),
                official_date: date(2001, 3, 1),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .name;
        let officer_token = stack
            .oversight
            .token("officer", &["case-officer"], &[&district]);
        let officer = stack.oversight.with_token(&officer_token);
        let mut reports = ReportServiceClient::new(officer.clone());

        // Received through the online form, named.
        let created = reports
            .create_report(o::CreateReportRequest {
                report: Some(o::Report {
                    organization: district.clone(),
                    channel: o::ReportChannel::Online as i32,
                    category: o::ReportCategory::Denunciation as i32,
                    content: "Chủ tịch xã nhận tiền để hợp thức hóa đất lấn chiếm".into(),
                    accused: vec![o::AccusedPerson {
                        member: member.clone(),
                        position: "Chủ tịch UBND xã".into(),
                        ..Default::default()
                    }],
                    sector: "sectors/land".into(),
                    received_date: date(2025, 5, 2),
                    ..Default::default()
                }),
                reporter: Some(whistleblower()),
                request_id: "intake-1".into(),
            })
            .await
            .unwrap()
            .into_inner();
        let code = created.receipt_code;
        let report = created.report.unwrap();
        assert_eq!(report.accept_due_date, date(2025, 5, 9), "{backend}");
        let accepted = reports
            .decide_report(o::DecideReportRequest {
                name: report.name.clone(),
                decision: o::ReportDecision::Accept as i32,
                decision_date: date(2025, 5, 6),
                decision_number: "07/TB-UBKT".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(accepted.resolve_due_date, date(2025, 6, 5));

        // The report opens a case, which the Standing Committee designates.
        let mut cases = CaseServiceClient::new(officer.clone());
        let case = cases
            .create_case(o::CreateCaseRequest {
                r#case: Some(o::Case {
                    code: "VV-TC-2025-01".into(),
                    title: "Hợp thức hóa đất lấn chiếm".into(),
                    kind: o::CaseKind::Incident as i32,
                    sector: "sectors/land".into(),
                    jurisdiction: district.clone(),
                    subjects: vec![o::CaseSubject {
                        member: member.clone(),
                        ..Default::default()
                    }],
                    intakes: vec![o::CaseIntake {
                        origin: o::CaseOrigin::Denunciation as i32,
                        origin_reference: report.name.clone(),
                        received_date: date(2025, 5, 2),
                        summary: "Tố cáo qua cổng trực tuyến".into(),
                    }],
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let linked = reports
            .link_report_to_case(o::LinkReportToCaseRequest {
                name: report.name.clone(),
                case: case.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(linked.case, case.name);
        let steering = stack.oversight.with_token(&stack.oversight.token(
            "steering",
            &["steering-committee"],
            &[&tu],
        ));
        MonitoringServiceClient::new(steering)
            .designate_case(o::DesignateCaseRequest {
                parent: case.name.clone(),
                designation: Some(o::Designation {
                    designated_by: o::DesignatingBody::StandingCommittee as i32,
                    decision_number: "09-QĐ/TU".into(),
                    decision_date: date(2025, 5, 20),
                    criteria: vec![o::DesignationCriterion::PublicConcern as i32],
                    reason: "Dư luận quan tâm".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap();
        // The member is disciplined for it.
        DisciplineServiceClient::new(officer.clone())
            .create_disciplinary_decision(o::CreateDisciplinaryDecisionRequest {
                decision: Some(o::DisciplinaryDecision {
                    member: member.clone(),
                    form: o::DisciplineForm::Warning as i32,
                    deciding_organization: district.clone(),
                    decision_number: "31-QĐ/UBKT".into(),
                    decision_date: date(2025, 6, 1),
                    effective_date: date(2025, 6, 1),
                    reason: "Vi phạm quy định về quản lý đất đai".into(),
                    r#case: case.name.clone(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap();
        let resolved = reports
            .decide_report(o::DecideReportRequest {
                name: report.name.clone(),
                decision: o::ReportDecision::Resolve as i32,
                decision_date: date(2025, 6, 3),
                decision_number: "15/KL-UBKT".into(),
                note: "Tố cáo đúng; đã kỷ luật cảnh cáo".into(),
                outcome: o::ReportOutcome::Founded as i32,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(!resolved.overdue, "{backend}: resolved within 30 days");
        reports
            .post_report_message(o::PostReportMessageRequest {
                parent: report.name.clone(),
                message: Some(o::ReportMessage {
                    text: "Tố cáo của ông/bà đúng; người bị tố cáo đã bị kỷ luật".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap();

        // The reporter, without an account, sees the outcome and the reply.
        let receipt = ReceiptServiceClient::new(stack.oversight.channel())
            .check_report(o::CheckReportRequest {
                receipt_code: code.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            receipt.status,
            o::ReportStatus::Resolved as i32,
            "{backend}"
        );
        assert_eq!(receipt.outcome, o::ReportOutcome::Founded as i32);
        assert_eq!(receipt.messages.len(), 1);

        // Those who handle it never see who reported.
        let seen = format!(
            "{:?}",
            reports
                .get_report(o::GetReportRequest {
                    name: report.name.clone()
                })
                .await
                .unwrap()
        );
        assert!(!seen.contains("Giấutên") && !seen.contains("0908765432"));

        // One reveal, by the district's protection officer, with a reason.
        let custodian = stack.oversight.with_token(&stack.oversight.token(
            "custodian",
            &["protection-officer"],
            &[&district],
        ));
        let why = "Cơ quan điều tra cần lấy lời khai người tố cáo";
        let revealed = ProtectionServiceClient::new(custodian.clone())
            .reveal_reporter_identity(o::RevealReporterIdentityRequest {
                name: report.name.clone(),
                reason: why.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(revealed.reporter, Some(whistleblower()), "{backend}");
        let file = ProtectionServiceClient::new(custodian)
            .get_protection_file(o::GetProtectionFileRequest {
                report: report.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        let reveals: Vec<&o::ProtectionEntry> = file
            .entries
            .iter()
            .filter(|e| e.kind == o::ProtectionEntryKind::Reveal as i32)
            .collect();
        assert_eq!(reveals.len(), 1);
        assert_eq!(reveals[0].text, why);
        assert!(reveals[0].recorded_by.starts_with("custodian"));
        let audit = AuditServiceClient::new(stack.oversight_admin())
            .list_audit_entries(o::ListAuditEntriesRequest {
                resource: format!("{}/identity", report.name),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let reveal_entries = audit
            .entries
            .iter()
            .filter(|e| e.method.ends_with("/RevealReporterIdentity"))
            .count();
        assert_eq!(reveal_entries, 1, "{backend}: the reveal, audited once");
        assert!(
            audit.entries.iter().any(|e| e.caller == "custodian"),
            "{backend}: audited under who revealed"
        );
    }
}
