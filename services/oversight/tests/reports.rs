//! Whistleblower reports through the real gRPC API against a real members
//! server, on every backend: intake with its cited deadlines, decisions and
//! the case a report opens, follow-up with a receipt code and no token,
//! reveals by a protection officer only (audited, in the protection
//! file), retention, and key rotation in the identity vault.

mod common;

use common::{World, backends, date, fields, reason};
use probity_platform::testing::Authed;
use probity_proto::probity::oversight::v1::{
    AccusedPerson, CheckReportRequest, CreateProtectionEntryRequest, CreateReportRequest,
    CreateReportResponse, DecideReportRequest, GetProtectionFileRequest, GetReportRequest,
    LinkReportToCaseRequest, ListAuditEntriesRequest, ListReportMessagesRequest,
    ListReportsRequest, MessageAuthor, PostReportMessageRequest, ProtectionEntry,
    ProtectionEntryKind, Report, ReportCategory, ReportChannel, ReportDecision, ReportMessage,
    ReportOutcome, ReportStatus, ReporterIdentity, RevealReporterIdentityRequest,
    RewrapIdentitiesRequest, SendReceiptMessageRequest,
    protection_service_client::ProtectionServiceClient,
    receipt_service_client::ReceiptServiceClient, report_service_client::ReportServiceClient,
};
use tonic::Code;

fn reports(channel: Authed) -> ReportServiceClient<Authed> {
    ReportServiceClient::new(channel)
}

fn protection(world: &World, scope: &[&str]) -> ProtectionServiceClient<Authed> {
    ProtectionServiceClient::new(world.caller(&["protection-officer"], scope))
}

/// The receipt service as a reporter reaches it: no token.
fn receipts(world: &World) -> ReceiptServiceClient<tonic::transport::Channel> {
    ReceiptServiceClient::new(world.oversight.channel())
}

/// A denunciation received by district A on 2024-03-01 accusing member A.
fn denunciation(world: &World) -> Report {
    Report {
        organization: world.district_a.clone(),
        channel: ReportChannel::Hotline as i32,
        category: ReportCategory::Denunciation as i32,
        content: "Nhận tiền để cấp giấy chứng nhận quyền sử dụng đất".into(),
        accused: vec![
            AccusedPerson {
                member: world.member_a.clone(),
                position: "Chủ tịch UBND xã".into(),
                ..Default::default()
            },
            AccusedPerson {
                display_name: "Lê Văn C".into(),
                position: "Giám đốc công ty X".into(),
                ..Default::default()
            },
        ],
        sector: "sectors/land".into(),
        received_date: date(2024, 3, 1),
        ..Default::default()
    }
}

fn reporter(n: usize) -> ReporterIdentity {
    ReporterIdentity {
        full_name: format!("Phạm Thị Nhânchứng{n}"),
        identity_number: format!("0010990{n:05}"),
        phone: format!("09123{n:05}"),
        email: format!("nhanchung{n}@example.vn"),
        address: format!("Số {n} đường Bí Mật, thị xã Hòa Thành"),
    }
}

async fn file(
    client: &mut ReportServiceClient<Authed>,
    report: Report,
    identity: Option<ReporterIdentity>,
) -> CreateReportResponse {
    client
        .create_report(CreateReportRequest {
            report: Some(report),
            reporter: identity,
            request_id: String::new(),
        })
        .await
        .expect("create report")
        .into_inner()
}

fn decision(
    name: &str,
    what: ReportDecision,
    day: (i32, i32, i32),
    number: &str,
) -> DecideReportRequest {
    DecideReportRequest {
        name: name.into(),
        decision: what as i32,
        decision_date: date(day.0, day.1, day.2),
        decision_number: number.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_report_is_received_with_cited_deadlines_decided_and_linked_to_its_case() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let mut officer = reports(world.officer(&[&world.district_a]));
        let created = file(&mut officer, denunciation(&world), Some(reporter(1))).await;
        let report = created.report.unwrap();
        assert_eq!(created.receipt_code.len(), 34, "{backend}");
        assert!(!report.anonymous && report.identity_sealed);
        assert_eq!(report.status, ReportStatus::Received as i32);
        assert_eq!(
            report.accused[0].display_name, "Nguyễn Văn A",
            "filled from members"
        );
        // Law on Denunciations 2018, Art. 24: 7 days to decide on acceptance.
        assert_eq!(report.accept_due_date, date(2024, 3, 8));
        assert!(report.limit_citations[0].contains("Điều 24"));
        assert!(report.overdue, "2024-04-10 is past 2024-03-08");

        // The overdue list and the status filter.
        let list = |overdue_only, status: ReportStatus| ListReportsRequest {
            organization: world.province.clone(),
            status: status as i32,
            overdue_only,
            ..Default::default()
        };
        let mut steering = reports(world.steering(&["*"]));
        let overdue = steering
            .list_reports(list(true, ReportStatus::Unspecified))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(overdue.reports.len(), 1);

        // Accept: the resolve clock starts (30 days, Art. 30).
        let mut accept = decision(
            &report.name,
            ReportDecision::Accept,
            (2024, 3, 5),
            "12/qđ-ubkt",
        );
        accept.etag = report.etag.clone();
        let accepted = officer
            .decide_report(accept.clone())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(accepted.status, ReportStatus::Accepted as i32);
        assert_eq!(accepted.resolve_due_date, date(2024, 4, 4));
        assert_eq!(accepted.decision_number, "12/QĐ-UBKT");
        let stale = officer.decide_report(accept).await.unwrap_err();
        assert_eq!(stale.code(), Code::Aborted, "{backend}: stale etag");

        // Resolving before acceptance is refused, naming what is allowed.
        let other = file(&mut officer, denunciation(&world), None)
            .await
            .report
            .unwrap();
        let mut early = decision(
            &other.name,
            ReportDecision::Resolve,
            (2024, 4, 1),
            "13/QĐ-UBKT",
        );
        early.note = "Tố cáo đúng".into();
        early.outcome = ReportOutcome::Founded as i32;
        let err = officer.decide_report(early).await.unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(reason(&err), "ILLEGAL_TRANSITION");
        assert!(
            err.message().contains("REPORT_DECISION_ACCEPT"),
            "{}",
            err.message()
        );
        // A decision without its parts: field violations, nothing changed.
        let bad = officer
            .decide_report(decision(
                &other.name,
                ReportDecision::NotAccept,
                (2024, 2, 1),
                "",
            ))
            .await
            .unwrap_err();
        assert_eq!(fields(&bad), ["decision_date", "decision_number", "note"]);

        // The report opens a case, linked both ways by name.
        let case = world
            .create(world.case_in_a("VV-TC-01", "reports/x"))
            .await
            .unwrap();
        let linked = officer
            .link_report_to_case(LinkReportToCaseRequest {
                name: report.name.clone(),
                case: case.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(linked.case, case.name);

        // Resolved as founded: finished, kept 20 years.
        let mut resolve = decision(
            &report.name,
            ReportDecision::Resolve,
            (2024, 4, 2),
            "20/KL-UBKT",
        );
        resolve.note = "Tố cáo đúng; chuyển cơ quan điều tra".into();
        resolve.outcome = ReportOutcome::Founded as i32;
        let resolved = officer.decide_report(resolve).await.unwrap().into_inner();
        assert_eq!(resolved.status, ReportStatus::Resolved as i32);
        assert!(
            !resolved.overdue,
            "resolved before its due date and finished"
        );
        assert_eq!(resolved.retention_class, "founded");
        assert_eq!(resolved.expire_date, date(2044, 4, 2));
        let accepted_only = steering
            .list_reports(list(false, ReportStatus::Resolved))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(accepted_only.reports.len(), 1);

        // Another district's officer: as if it did not exist.
        let mut outsider = reports(world.officer(&[&world.district_b]));
        let hidden = outsider
            .get_report(GetReportRequest {
                name: report.name.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(hidden.code(), Code::NotFound, "{backend}");
        // A reader of member records sees no reports at all.
        let refused = reports(world.caller(&["reader"], &["*"]))
            .get_report(GetReportRequest {
                name: report.name.clone(),
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied);
    }
}

#[tokio::test]
async fn a_reporter_follows_up_with_the_receipt_code_and_no_token() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let mut officer = reports(world.officer(&[&world.district_a]));
        let mut anonymous = denunciation(&world);
        anonymous.channel = ReportChannel::Online as i32;
        let created = file(&mut officer, anonymous, None).await;
        let report = created.report.unwrap();
        assert!(report.anonymous && !report.identity_sealed);
        let code = created.receipt_code;

        for (internal, text) in [
            (false, "Đã nhận, đang xác minh"),
            (true, "Nghi người tố cáo là kế toán"),
        ] {
            officer
                .post_report_message(PostReportMessageRequest {
                    parent: report.name.clone(),
                    message: Some(ReportMessage {
                        internal,
                        text: text.into(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                })
                .await
                .unwrap();
        }
        let mut reporter = receipts(&world);
        let seen = reporter
            .check_report(CheckReportRequest {
                receipt_code: code.to_lowercase().replace('-', " "),
            })
            .await
            .expect("no token, the code is enough")
            .into_inner();
        assert_eq!(seen.status, ReportStatus::Received as i32, "{backend}");
        assert_eq!(seen.accept_due_date, date(2024, 3, 8));
        let texts: Vec<&str> = seen.messages.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Đã nhận, đang xác minh"],
            "internal notes never shown"
        );

        let send = SendReceiptMessageRequest {
            receipt_code: code.clone(),
            text: "Tôi có thêm chứng từ".into(),
            request_id: "r-1".into(),
        };
        let after = reporter
            .send_receipt_message(send.clone())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(after.messages.len(), 2);
        let again = reporter
            .send_receipt_message(send)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(again.messages.len(), 2, "a retry adds no second message");
        let all = officer
            .list_report_messages(ListReportMessagesRequest {
                parent: report.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(all.messages.len(), 3);
        assert_eq!(all.messages[2].author, MessageAuthor::Reporter as i32);

        // A wrong code and an unknown one: the same answer.
        let mut wrong = code.clone();
        let last = if wrong.ends_with('0') { "1" } else { "0" };
        wrong.replace_range(wrong.len() - 1.., last);
        let unknown = format!("ZZZZ-ZZZZ{}", &code[9..]);
        let mut answers = Vec::new();
        for attempt in [&wrong, &unknown] {
            let err = reporter
                .check_report(CheckReportRequest {
                    receipt_code: attempt.clone(),
                })
                .await
                .unwrap_err();
            answers.push((err.code(), err.message().to_string(), reason(&err)));
        }
        assert_eq!(answers[0], answers[1], "{backend}");
        assert_eq!(answers[0].0, Code::NotFound);
        let malformed = reporter
            .check_report(CheckReportRequest {
                receipt_code: "1234".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(fields(&malformed), ["receipt_code"]);
        // Five attempts a minute per code, known or not.
        let mut limited = None;
        for _ in 0..6 {
            if let Err(e) = reporter
                .check_report(CheckReportRequest {
                    receipt_code: unknown.clone(),
                })
                .await
            {
                limited = Some(e.code());
            }
        }
        assert_eq!(limited, Some(Code::ResourceExhausted), "{backend}");
    }
}

#[tokio::test]
async fn only_a_protection_officer_reveals_and_every_reveal_is_filed_and_audited() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let mut officer = reports(world.officer(&[&world.district_a]));
        let report = file(&mut officer, denunciation(&world), Some(reporter(7)))
            .await
            .report
            .unwrap();
        let reveal = |reason: &str| RevealReporterIdentityRequest {
            name: report.name.clone(),
            reason: reason.into(),
        };
        let why = "Cơ quan điều tra cần lấy lời khai người tố cáo";
        for roles in [["admin"], ["case-officer"], ["steering-committee"]] {
            let err = ProtectionServiceClient::new(world.caller(&roles, &["*"]))
                .reveal_reporter_identity(reveal(why))
                .await
                .unwrap_err();
            assert_eq!(err.code(), Code::PermissionDenied, "{backend} {roles:?}");
        }
        let hidden = protection(&world, &[&world.district_b])
            .reveal_reporter_identity(reveal(why))
            .await
            .unwrap_err();
        assert_eq!(hidden.code(), Code::NotFound, "another district's officer");
        let mut custodian = protection(&world, &[&world.district_a]);
        let no_reason = custodian
            .reveal_reporter_identity(reveal("vì"))
            .await
            .unwrap_err();
        assert_eq!(fields(&no_reason), ["reason"]);
        let revealed = custodian
            .reveal_reporter_identity(reveal(why))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(revealed.reporter, Some(reporter(7)), "{backend}");

        custodian
            .create_protection_entry(CreateProtectionEntryRequest {
                parent: report.name.clone(),
                entry: Some(ProtectionEntry {
                    kind: ProtectionEntryKind::RetaliationComplaint as i32,
                    date: date(2024, 4, 9),
                    text: "Bị điều chuyển công tác sau khi tố cáo".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap();
        let file = custodian
            .get_protection_file(GetProtectionFileRequest {
                report: report.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(file.identity_sealed);
        let kinds: Vec<i32> = file.entries.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                ProtectionEntryKind::Reveal as i32,
                ProtectionEntryKind::RetaliationComplaint as i32
            ]
        );
        assert_eq!(file.entries[0].text, why);
        assert!(file.entries[0].recorded_by.starts_with("someone"));
        let audit = world
            .audit()
            .list_audit_entries(ListAuditEntriesRequest {
                resource: format!("{}/identity", report.name),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let methods: Vec<&str> = audit.entries.iter().map(|e| e.method.as_str()).collect();
        assert!(
            methods
                .iter()
                .any(|m| m.ends_with("/RevealReporterIdentity")),
            "{backend}: {methods:?}"
        );

        // An anonymous report has nothing to reveal: as if it did not exist.
        let anonymous = file_anonymous(&world, &mut officer).await;
        let err = custodian
            .reveal_reporter_identity(RevealReporterIdentityRequest {
                name: anonymous.name,
                reason: why.into(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound);
    }
}

async fn file_anonymous(world: &World, officer: &mut ReportServiceClient<Authed>) -> Report {
    file(officer, denunciation(world), None)
        .await
        .report
        .unwrap()
}

#[tokio::test]
async fn a_finished_report_expires_to_a_tombstone_and_its_identity_is_destroyed() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let mut officer = reports(world.officer(&["*"]));
        let mut old = denunciation(&world);
        old.category = ReportCategory::CrimeReport as i32;
        old.received_date = date(2018, 1, 5);
        let report = file(&mut officer, old, Some(reporter(3)))
            .await
            .report
            .unwrap();
        let mut refuse = decision(
            &report.name,
            ReportDecision::NotAccept,
            (2018, 1, 10),
            "1/TB-CA",
        );
        refuse.note = "Không đủ căn cứ thụ lý".into();
        let refused = officer.decide_report(refuse).await.unwrap().into_inner();
        assert_eq!(refused.retention_class, "not-accepted");
        assert_eq!(refused.expire_date, date(2023, 1, 10), "{backend}");
        // Its day has passed: the job runs at once.
        let mut expired = refused.clone();
        for _ in 0..100 {
            expired = officer
                .get_report(GetReportRequest {
                    name: report.name.clone(),
                })
                .await
                .unwrap()
                .into_inner();
            if expired.expired {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(expired.expired, "{backend}");
        assert!(expired.content.is_empty() && expired.accused.is_empty());
        assert!(!expired.identity_sealed);
        assert_eq!(
            expired.status,
            ReportStatus::NotAccepted as i32,
            "the tombstone stays"
        );
        let err = protection(&world, &["*"])
            .reveal_reporter_identity(RevealReporterIdentityRequest {
                name: report.name.clone(),
                reason: "Kiểm tra sau khi hết hạn lưu trữ".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound);
        let audit = world
            .audit()
            .list_audit_entries(ListAuditEntriesRequest {
                resource: report.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(
            audit.entries.iter().any(|e| e.method == "reports.expire"),
            "{backend}: the tombstone's audit entry"
        );
    }
}

#[tokio::test]
async fn rotating_the_vault_key_rewraps_every_identity() {
    for backend in backends() {
        let world = World::start(&backend).await;
        let mut officer = reports(world.officer(&["*"]));
        let mut names = Vec::new();
        for n in 0..3 {
            names.push(
                file(&mut officer, denunciation(&world), Some(reporter(n)))
                    .await
                    .report
                    .unwrap()
                    .name,
            );
        }
        let new_key = probity_platform::vault::KeyRing::new_file("k2");
        // A replica with the new key first and the old one after it.
        let rotated = world
            .replica(&format!("{new_key}{}", world.vault_file))
            .await;
        let admin = rotated.admin();
        let done = ProtectionServiceClient::new(admin.clone())
            .rewrap_identities(RewrapIdentitiesRequest {})
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            (
                done.current_key.as_str(),
                done.rewrapped,
                done.already_current
            ),
            ("k2", 3, 0),
            "{backend}"
        );
        let again = ProtectionServiceClient::new(admin)
            .rewrap_identities(RewrapIdentitiesRequest {})
            .await
            .unwrap()
            .into_inner();
        assert_eq!((again.rewrapped, again.already_current), (0, 3));
        // Without the old key at all, every identity still opens.
        let new_only = world.replica(&new_key).await;
        let token = new_only.token("custodian", &["protection-officer"], &["*"]);
        let mut custodian = ProtectionServiceClient::new(new_only.with_token(&token));
        for (n, name) in names.iter().enumerate() {
            let shown = custodian
                .reveal_reporter_identity(RevealReporterIdentityRequest {
                    name: name.clone(),
                    reason: "Kiểm tra sau khi thay khóa".into(),
                })
                .await
                .unwrap()
                .into_inner();
            assert_eq!(shown.reporter, Some(reporter(n)), "{backend}");
        }
    }
}
