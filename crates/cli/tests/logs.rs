//! What the server writes to its log during a flow that handles a token,
//! a member's personal data, a declaration's contents, a whistleblower's
//! identity and receipt code: none of them, even at the `debug` level
//! (issue 12, data at rest; issue 15, the identity vault).

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

mod common;

use common::{PROBITY, free_port};

use probity_platform::client::with_token;
use probity_proto::{
    google::r#type::Date,
    probity::members::v1::{
        AssetCategory, CreateMemberRequest, CreateOrganizationRequest, Declaration,
        DeclarationItem, DeclarationKind, Gender, GetDeclarationRequest, Member, Organization,
        OrganizationKind, SubmitDeclarationRequest,
        declaration_service_client::DeclarationServiceClient,
        member_service_client::MemberServiceClient,
        organization_service_client::OrganizationServiceClient,
    },
    probity::oversight::v1 as o,
};

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

#[tokio::test]
async fn the_log_holds_no_token_personal_data_or_declaration_contents() {
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let log = parent.path().join("server.log");
    let listen = format!("127.0.0.1:{}", free_port());
    let mut server = Command::new(PROBITY)
        .args([
            "up",
            "--listen",
            &listen,
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .env("PROBITY_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let token = common::dev_token(&data).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let channel = tonic::transport::Channel::from_shared(format!("http://{listen}"))
        .unwrap()
        .connect_lazy();
    let admin = with_token(channel, token.trim()).unwrap();

    let secret_name = "Nguyễn Thị Bí Mật";
    let secret_card = "93000777";
    let secret_asset = "Căn hộ số 9 đường Riêng Tư";
    let mut orgs = OrganizationServiceClient::new(admin.clone());
    let cell = loop {
        let created = orgs
            .create_organization(CreateOrganizationRequest {
                organization: Some(Organization {
                    code: "LOG".into(),
                    display_name: "Chi bộ nhật ký".into(),
                    kind: OrganizationKind::Cell as i32,
                    valid_from: date(2000, 1, 1),
                    ..Default::default()
                }),
                request_id: "log-org".into(),
            })
            .await;
        match created {
            Ok(r) => break r.into_inner().name,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("{e:?}"),
        }
    };
    let member = MemberServiceClient::new(admin.clone())
        .create_member(CreateMemberRequest {
            member: Some(Member {
                party_card_number: secret_card.into(),
                full_name: secret_name.into(),
                date_of_birth: date(1980, 1, 1),
                gender: Gender::Female as i32,
                organization: cell,
                admission_date: date(2010, 3, 1),
                ..Default::default()
            }),
            official_date: date(2011, 3, 1),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut decls = DeclarationServiceClient::new(admin.clone());
    let declaration = Declaration {
        declarant: member.name.clone(),
        year: 2025,
        kind: DeclarationKind::Annual as i32,
        declared_as_of: date(2025, 12, 1),
        received_date: date(2025, 12, 5),
        items: vec![DeclarationItem {
            category: AssetCategory::Houses as i32,
            description: secret_asset.into(),
            value_vnd: 3_000_000_000,
        }],
        ..Default::default()
    };
    let submitted = decls
        .submit_declaration(SubmitDeclarationRequest {
            declaration: Some(declaration.clone()),
            request_id: "log-decl".into(),
        })
        .await
        .unwrap()
        .into_inner();
    // A refusal too: the same key with another declaration.
    let mut other = declaration;
    other.items[0].description = format!("{secret_asset} (2)");
    let _ = decls
        .submit_declaration(SubmitDeclarationRequest {
            declaration: Some(other),
            request_id: "log-decl".into(),
        })
        .await
        .unwrap_err();
    decls
        .get_declaration(GetDeclarationRequest {
            name: submitted.name,
        })
        .await
        .unwrap();

    // A named whistleblower: intake, follow-up by receipt, one reveal.
    let whistleblower = "Trần Thị Tốgiác";
    let whistleblower_phone = "0977000111";
    let created = o::report_service_client::ReportServiceClient::new(admin.clone())
        .create_report(o::CreateReportRequest {
            report: Some(o::Report {
                organization: member.organization.clone(),
                channel: o::ReportChannel::Hotline as i32,
                category: o::ReportCategory::Reflection as i32,
                content: "Phản ánh qua đường dây nóng".into(),
                received_date: date(2025, 12, 1),
                ..Default::default()
            }),
            reporter: Some(o::ReporterIdentity {
                full_name: whistleblower.into(),
                phone: whistleblower_phone.into(),
                ..Default::default()
            }),
            request_id: "log-report".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let receipt = created.receipt_code.clone();
    let report = created.report.unwrap().name;
    let open = tonic::transport::Channel::from_shared(format!("http://{listen}"))
        .unwrap()
        .connect_lazy();
    o::receipt_service_client::ReceiptServiceClient::new(open)
        .check_report(o::CheckReportRequest {
            receipt_code: receipt.clone(),
        })
        .await
        .unwrap();
    let out = Command::new(PROBITY)
        .args([
            "token",
            "issue",
            "--sub",
            "custodian",
            "--agency",
            "ubkt",
            "--role",
            "protection-officer",
            "--scope",
            "*",
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let custodian = tonic::transport::Channel::from_shared(format!("http://{listen}"))
        .unwrap()
        .connect_lazy();
    let custodian = with_token(custodian, String::from_utf8(out.stdout).unwrap().trim()).unwrap();
    let revealed = o::protection_service_client::ProtectionServiceClient::new(custodian)
        .reveal_reporter_identity(o::RevealReporterIdentityRequest {
            name: report,
            reason: "Kiểm tra nhật ký máy chủ".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(revealed.reporter.unwrap().full_name, whistleblower);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join("vault.keys"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the vault key file is its owner's only");
    }

    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("GetDeclaration"), "the log is on: {text}");
    let signature = token.trim().rsplit('.').next().unwrap();
    for (what, secret) in [
        ("the bearer token", signature),
        ("a member's name", secret_name),
        ("a party card number", secret_card),
        ("a declaration's contents", secret_asset),
        ("a whistleblower's name", whistleblower),
        ("a whistleblower's telephone", whistleblower_phone),
        ("a receipt code", &receipt[10..]),
    ] {
        assert!(!text.contains(secret), "the log holds {what}");
    }
}

#[tokio::test]
async fn json_logs_hold_one_line_per_call_with_its_code() {
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let log = parent.path().join("server.log");
    let listen = format!("127.0.0.1:{}", free_port());
    let mut server = Command::new(PROBITY)
        .args([
            "up",
            "--listen",
            &listen,
            "--data-dir",
            data.to_str().unwrap(),
            "--log-format",
            "json",
        ])
        .env("PROBITY_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let token = common::dev_token(&data).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let channel = tonic::transport::Channel::from_shared(format!("http://{listen}"))
        .unwrap()
        .connect_lazy();
    let mut orgs = OrganizationServiceClient::new(with_token(channel, token.trim()).unwrap());
    // Until the server is up, then one call that is answered NOT_FOUND.
    let missing = loop {
        match orgs
            .get_organization(
                probity_proto::probity::members::v1::GetOrganizationRequest {
                    name: "organizations/0123456789abcdef0123456789abcdef".into(),
                },
            )
            .await
        {
            Err(e) if e.code() == tonic::Code::NotFound => break e,
            _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(missing.code(), tonic::Code::NotFound);
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains('\u{1b}'), "no colour when not on a terminal");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let call = lines
        .iter()
        .find(|l| {
            l["message"] == "call"
                && l["span"]["method"] == "/probity.members.v1.OrganizationService/GetOrganization"
                && l["code"] == "NotFound"
        })
        .unwrap_or_else(|| panic!("no call line: {text}"));
    assert_eq!(call["level"], "INFO");
    assert_eq!(call["agency"], "probity-dev");
    assert!(call["duration_ms"].as_f64().is_some());
    assert!(
        call["span"]["request_id"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );
    assert!(!text.contains(token.trim().rsplit('.').next().unwrap()));
}

#[tokio::test]
async fn metrics_count_calls_by_method_and_code() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    let listen = format!("127.0.0.1:{}", free_port());
    let metrics = format!("127.0.0.1:{}", free_port());
    let mut server = Command::new(PROBITY)
        .args([
            "up",
            "--listen",
            &listen,
            "--data-dir",
            data.to_str().unwrap(),
            "--metrics-listen",
            &metrics,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let token = common::dev_token(&data).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let channel = tonic::transport::Channel::from_shared(format!("http://{listen}"))
        .unwrap()
        .connect_lazy();
    let mut orgs = OrganizationServiceClient::new(with_token(channel, token.trim()).unwrap());
    loop {
        match orgs
            .get_organization(
                probity_proto::probity::members::v1::GetOrganizationRequest {
                    name: "organizations/0123456789abcdef0123456789abcdef".into(),
                },
            )
            .await
        {
            Err(e) if e.code() == tonic::Code::NotFound => break,
            _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
            other => panic!("{other:?}"),
        }
    }
    let mut stream = tokio::net::TcpStream::connect(&metrics).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: probity\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).await.unwrap();
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    let _ = server.wait();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.contains(
            "probity_calls_total{method=\"/probity.members.v1.OrganizationService/GetOrganization\",code=\"NotFound\"} 1"
        ),
        "{text}"
    );
    for series in [
        "probity_call_seconds_bucket{",
        "probity_calls_in_flight ",
        "probity_calls_shed_total 0",
        "probity_db_connections{service=\"members\",state=\"idle\"}",
        "probity_jobs_pending{service=\"oversight\"}",
    ] {
        assert!(text.contains(series), "{series}: {text}");
    }
}
