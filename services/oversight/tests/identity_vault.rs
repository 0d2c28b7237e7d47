//! The identity vault holds: N named reporters' identities (name, identity
//! number, telephone, e-mail, address) and their receipt codes leave no
//! plaintext in the database files (SQLite: the database, its WAL and
//! shared memory; PostgreSQL: a `pg_dump` of the whole database), the
//! idempotency records and audit log among them, in the logs captured at
//! debug level during the test, or in any response but the one audited
//! reveal. Each needle is looked for as UTF-8 and as hex (how dumps show
//! bytes); control needles that are stored in the clear are found, so the
//! search would see a leak.

mod common;

use std::sync::{Arc, Mutex};

use common::{World, backends, date};
use probity_proto::probity::oversight::v1::{
    AccusedPerson, CheckReportRequest, CreateReportRequest, DecideReportRequest,
    GetProtectionFileRequest, GetReportRequest, ListAuditEntriesRequest, ListReportMessagesRequest,
    ListReportsRequest, Report, ReportCategory, ReportChannel, ReportDecision, ReporterIdentity,
    RevealReporterIdentityRequest, SendReceiptMessageRequest, VerifyAuditChainRequest,
    protection_service_client::ProtectionServiceClient,
    receipt_service_client::ReceiptServiceClient, report_service_client::ReportServiceClient,
};

/// Identities seeded.
const N: usize = 12;

/// Log lines written during the test, at debug level for every target.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> Captured {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::NEW)
        .with_writer(move || writer.clone())
        .init();
    captured
}

fn identity(n: usize) -> ReporterIdentity {
    ReporterIdentity {
        full_name: format!("Đoàn Thị Kínđáo{n:02}"),
        identity_number: format!("07919{n:07}"),
        phone: format!("+84-98-7{n:06}"),
        email: format!("kindao{n:02}@thu.vn"),
        address: format!("Hẻm {n} ấp Bímật, xã Trườngđông"),
    }
}

fn needles(id: &ReporterIdentity) -> Vec<String> {
    vec![
        id.full_name.clone(),
        id.identity_number.clone(),
        id.phone.clone(),
        id.email.clone(),
        id.address.clone(),
    ]
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// The needles found in `haystack` (as UTF-8 or hex).
fn found(haystack: &[u8], needles: &[String]) -> Vec<String> {
    let text = String::from_utf8_lossy(haystack).to_lowercase();
    needles
        .iter()
        .filter(|n| {
            let n_bytes = n.as_bytes();
            haystack.windows(n_bytes.len()).any(|w| w == n_bytes) || text.contains(&hex(n))
        })
        .cloned()
        .collect()
}

/// Every byte the database holds: the SQLite files, or a dump of the
/// PostgreSQL database.
fn database_bytes(world: &World) -> Vec<u8> {
    match &world.oversight.backend {
        probity_platform::testing::TestBackend::Sqlite => {
            let dir = world.oversight.data_dir().expect("the SQLite folder");
            let mut all = Vec::new();
            for entry in std::fs::read_dir(dir).unwrap() {
                all.extend(std::fs::read(entry.unwrap().path()).unwrap());
            }
            assert!(all.len() > 10_000, "the database files were read");
            all
        }
        probity_platform::testing::TestBackend::Postgres(url) => {
            let out = std::process::Command::new(pg_dump())
                .arg("--data-only")
                .arg(url)
                .output()
                .expect("pg_dump runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        }
    }
}

/// `pg_dump` on the path, or the newest of Debian's server packages.
fn pg_dump() -> String {
    let mut found: Vec<String> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin/pg_dump"))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    found.sort();
    found.pop().unwrap_or_else(|| "pg_dump".into())
}

#[tokio::test]
async fn identities_leave_no_plaintext_in_the_database_the_logs_or_any_response() {
    let logs = capture_logs();
    for backend in backends() {
        let world = World::start(&backend).await;
        let officer = world.officer(&["*"]);
        let mut reports = ReportServiceClient::new(officer.clone());
        let mut receipts = ReceiptServiceClient::new(world.oversight.channel());
        let mut responses: Vec<String> = Vec::new();
        let mut secrets: Vec<String> = Vec::new();
        let mut controls: Vec<String> = Vec::new();
        let mut names = Vec::new();
        for n in 0..N {
            let content = format!("Côngkhai{n:02} nhận hối lộ khi giao đất");
            controls.push(content.clone());
            let request = CreateReportRequest {
                report: Some(Report {
                    organization: world.district_a.clone(),
                    channel: ReportChannel::Online as i32,
                    category: ReportCategory::Denunciation as i32,
                    content,
                    accused: vec![AccusedPerson {
                        display_name: "Lê Văn C".into(),
                        ..Default::default()
                    }],
                    received_date: date(2024, 4, 1),
                    ..Default::default()
                }),
                reporter: Some(identity(n)),
                // Idempotency records for half of them, and one retry.
                request_id: if n % 2 == 0 {
                    format!("intake-{n}")
                } else {
                    String::new()
                },
            };
            let created = reports
                .create_report(request.clone())
                .await
                .unwrap()
                .into_inner();
            if n == 0 {
                let retry = reports.create_report(request).await.unwrap().into_inner();
                assert!(retry.receipt_code.is_empty(), "the code exists only once");
                responses.push(format!("{retry:?}"));
            }
            let code = created.receipt_code.clone();
            secrets.push(code.replace('-', "")[8..].to_string());
            secrets.push(code.clone());
            let name = created.report.as_ref().unwrap().name.clone();
            responses.push(format!("{:?}", created.report));
            names.push((name, code));
        }
        // Every read a case officer, the steering committee, an auditor, a
        // protection officer (without revealing) and a reporter can make.
        // (The reporter's reads: five, within the per-address burst.)
        for (i, (name, code)) in names.iter().enumerate() {
            responses.push(format!(
                "{:?}",
                reports
                    .get_report(GetReportRequest { name: name.clone() })
                    .await
                    .unwrap()
            ));
            responses.push(format!(
                "{:?}",
                reports
                    .list_report_messages(ListReportMessagesRequest {
                        parent: name.clone(),
                        ..Default::default()
                    })
                    .await
                    .unwrap()
            ));
            if i < 5 {
                responses.push(format!(
                    "{:?}",
                    receipts
                        .check_report(CheckReportRequest {
                            receipt_code: code.clone()
                        })
                        .await
                        .unwrap()
                ));
            }
            responses.push(format!(
                "{:?}",
                ProtectionServiceClient::new(world.caller(&["protection-officer"], &["*"]))
                    .get_protection_file(GetProtectionFileRequest {
                        report: name.clone()
                    })
                    .await
                    .unwrap()
            ));
        }
        let (first, code) = &names[0];
        responses.push(format!(
            "{:?}",
            receipts
                .send_receipt_message(SendReceiptMessageRequest {
                    receipt_code: code.clone(),
                    text: "Tôi bổ sung tài liệu".into(),
                    request_id: "m-1".into(),
                })
                .await
                .unwrap()
        ));
        let mut accept = DecideReportRequest {
            name: first.clone(),
            decision: ReportDecision::Accept as i32,
            decision_date: date(2024, 4, 3),
            decision_number: "5/QĐ-UBKT".into(),
            ..Default::default()
        };
        responses.push(format!(
            "{:?}",
            reports.decide_report(accept.clone()).await.unwrap()
        ));
        accept.request_id = "retry".into();
        let _ = reports.decide_report(accept).await;
        responses.push(format!(
            "{:?}",
            reports
                .list_reports(ListReportsRequest {
                    organization: world.province.clone(),
                    page_size: 1000,
                    ..Default::default()
                })
                .await
                .unwrap()
        ));
        let mut audit = world.audit();
        responses.push(format!(
            "{:?}",
            audit
                .list_audit_entries(ListAuditEntriesRequest {
                    page_size: 1000,
                    ..Default::default()
                })
                .await
                .unwrap()
        ));
        responses.push(format!(
            "{:?}",
            audit
                .verify_audit_chain(VerifyAuditChainRequest::default())
                .await
                .unwrap()
        ));
        // The one audited reveal: it shows the identity, and only it does.
        let revealed = ProtectionServiceClient::new(world.caller(&["protection-officer"], &["*"]))
            .reveal_reporter_identity(RevealReporterIdentityRequest {
                name: first.clone(),
                reason: "Cơ quan điều tra triệu tập người tố cáo".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(revealed.reporter, Some(identity(0)), "{backend}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;

        let identities: Vec<String> = (0..N).flat_map(|n| needles(&identity(n))).collect();
        let all: Vec<String> = identities.iter().chain(&secrets).cloned().collect();
        let stored = database_bytes(&world);
        assert_eq!(
            found(&stored, &all),
            Vec::<String>::new(),
            "{backend}: database"
        );
        assert_eq!(
            found(&stored, &controls).len(),
            N,
            "{backend}: the search finds what is stored in the clear"
        );
        for response in &responses {
            assert_eq!(
                found(response.as_bytes(), &all),
                Vec::<String>::new(),
                "{backend}: {response}"
            );
        }
        assert!(
            responses
                .iter()
                .any(|r| !found(r.as_bytes(), &controls).is_empty())
        );
        let logged = logs.0.lock().unwrap().clone();
        assert!(
            String::from_utf8_lossy(&logged).contains("RevealReporterIdentity"),
            "the logs were captured"
        );
        assert_eq!(
            found(&logged, &all),
            Vec::<String>::new(),
            "{backend}: logs"
        );
    }
}
