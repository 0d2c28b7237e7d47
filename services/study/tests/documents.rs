//! DocumentService through the generated client, on every backend.

use probity_platform::testing::{TestBackend, TestOptions, TestServer, backends};
use probity_proto::{
    google::r#type::Date,
    probity::study::v1::{
        CreateDocumentRequest, Document, DocumentKind, GetDocumentRequest, ListDocumentsRequest,
        UpdateDocumentRequest, document_service_client::DocumentServiceClient,
    },
};
use tonic::Code;
use tonic_types::StatusExt;

type Docs = DocumentServiceClient<probity_platform::testing::Authed>;

/// Study alone: its members URL points at a port where nothing listens
/// (the tests with members running are in the workspace's `tests/`).
async fn start(backend: &TestBackend) -> TestServer {
    let nowhere = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", nowhere.local_addr().unwrap());
    drop(nowhere);
    let peer = probity_study::MembersPeer::connect_lazy(&url, None).unwrap();
    TestServer::start(
        backend,
        TestOptions::new(probity_study::SCHEMA),
        |server, db| probity_study::register(server, db, peer),
    )
    .await
}

fn date(y: i32, m: i32, d: i32) -> Option<Date> {
    Some(Date {
        year: y,
        month: m,
        day: d,
    })
}

fn doc(symbol: &str, issued: Option<Date>, title: &str) -> CreateDocumentRequest {
    CreateDocumentRequest {
        document: Some(Document {
            symbol: symbol.into(),
            issue_date: issued,
            title: title.into(),
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

fn fields(status: &tonic::Status) -> Vec<String> {
    let mut f: Vec<String> = status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default();
    f.sort();
    f
}

async fn list(docs: &mut Docs, r: ListDocumentsRequest) -> Vec<String> {
    docs.list_documents(r)
        .await
        .unwrap()
        .into_inner()
        .documents
        .into_iter()
        .map(|d| d.symbol)
        .collect()
}

#[tokio::test]
async fn the_real_forms_are_recorded_and_found() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut docs = DocumentServiceClient::new(server.admin());
        let real = [
            ("31-KH/TU", date(2016, 11, 30), DocumentKind::Plan),
            ("4-nq/tw", date(2016, 10, 30), DocumentKind::Resolution),
            ("05-CT/TW", date(2016, 5, 15), DocumentKind::Directive),
            ("10-KL/TW", date(2021, 7, 19), DocumentKind::Conclusion),
            ("50-CT/TW", date(2015, 12, 7), DocumentKind::Directive),
            ("27-CT/TW", date(2019, 1, 10), DocumentKind::Directive),
            ("132-QĐ/TW", date(2023, 10, 27), DocumentKind::Decision),
            ("15-KH/HU", date(2017, 3, 1), DocumentKind::Plan),
            ("07-nq/đu", date(2018, 6, 1), DocumentKind::Resolution),
        ];
        for (symbol, issued, kind) in real {
            let d = docs
                .create_document(doc(symbol, issued, "Văn bản"))
                .await
                .unwrap()
                .into_inner();
            assert_eq!(d.kind, kind as i32, "{backend}: {symbol}");
        }
        let resolution = docs
            .list_documents(ListDocumentsRequest {
                symbol: "04-NQ/TW".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .documents;
        assert_eq!(resolution.len(), 1);
        assert_eq!(
            (resolution[0].number, resolution[0].issuer_code.as_str()),
            (4, "TW")
        );
        let got = docs
            .get_document(GetDocumentRequest {
                name: resolution[0].name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got, resolution[0]);
        assert_eq!(
            list(
                &mut docs,
                ListDocumentsRequest {
                    symbol: "7-NQ/ĐU".into(),
                    ..Default::default()
                }
            )
            .await,
            ["07-NQ/ĐU"]
        );

        let mut directives = list(
            &mut docs,
            ListDocumentsRequest {
                kind: DocumentKind::Directive as i32,
                ..Default::default()
            },
        )
        .await;
        directives.sort();
        assert_eq!(directives, ["05-CT/TW", "27-CT/TW", "50-CT/TW"]);
        assert_eq!(
            list(
                &mut docs,
                ListDocumentsRequest {
                    year: 2016,
                    ..Default::default()
                }
            )
            .await,
            ["31-KH/TU", "04-NQ/TW", "05-CT/TW"],
            "newest first"
        );

        // Paging to the end, newest first, no repeats.
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = docs
                .list_documents(ListDocumentsRequest {
                    page_size: 2,
                    page_token: token,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            seen.extend(page.documents.into_iter().map(|d| d.issue_date.unwrap()));
            token = page.next_page_token;
            if token.is_empty() {
                break;
            }
        }
        assert_eq!(seen.len(), 9);
        assert!(
            seen.windows(2)
                .all(|w| (w[0].year, w[0].month, w[0].day) >= (w[1].year, w[1].month, w[1].day))
        );
    }
}

#[tokio::test]
async fn bad_documents_are_refused_and_changes_need_the_etag() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut docs = DocumentServiceClient::new(server.admin());
        let d = docs
            .create_document(doc(
                "04-NQ/TW",
                date(2016, 10, 30),
                "Nghị quyết Trung ương 4",
            ))
            .await
            .unwrap()
            .into_inner();

        let err = docs
            .create_document(doc("4-nq/tw", date(2016, 10, 30), "again"))
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Code::AlreadyExists,
            "{backend}: the same symbol spelled otherwise"
        );
        let err = docs
            .create_document(doc("NQ 4", None, ""))
            .await
            .unwrap_err();
        assert_eq!(
            fields(&err),
            ["document.issue_date", "document.symbol", "document.title"]
        );
        let err = docs
            .create_document(doc("130/2020/NĐ-CP", date(2021, 1, 1), "Nghị định"))
            .await
            .unwrap_err();
        assert_eq!(fields(&err), ["document.issue_date"], "the symbol's year");
        assert_eq!(
            docs.list_documents(ListDocumentsRequest::default())
                .await
                .unwrap()
                .into_inner()
                .documents
                .len(),
            1
        );

        let mut changed = d.clone();
        changed.title = "Về tăng cường xây dựng, chỉnh đốn Đảng".into();
        changed.term = "xii".into();
        let updated = docs
            .update_document(UpdateDocumentRequest {
                document: Some(changed.clone()),
                update_mask: None,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            (updated.title.as_str(), updated.term.as_str()),
            ("Về tăng cường xây dựng, chỉnh đốn Đảng", "XII")
        );
        assert_eq!(updated.symbol, "04-NQ/TW");
        let err = docs
            .update_document(UpdateDocumentRequest {
                document: Some(changed),
                update_mask: None,
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Aborted);

        let reader = server.token("r", &["reader"], &["*"]);
        let err = DocumentServiceClient::new(server.with_token(&reader))
            .create_document(doc("05-CT/TW", date(2016, 5, 15), "Chỉ thị"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied);
    }
}

/// With members unreachable, a write that needs members fails with
/// UNAVAILABLE and records nothing; documents, which need no members, keep
/// working.
#[tokio::test]
async fn members_unreachable() {
    use probity_proto::probity::study::v1::{
        CreatePlanRequest, ListPlansRequest, Plan, plan_service_client::PlanServiceClient,
    };
    for backend in backends() {
        let server = start(&backend).await;
        let mut docs = DocumentServiceClient::new(server.admin());
        let d = docs
            .create_document(doc(
                "04-NQ/TW",
                date(2016, 10, 30),
                "Nghị quyết Trung ương 4",
            ))
            .await
            .unwrap()
            .into_inner();
        let mut plans = PlanServiceClient::new(server.admin());
        let mut request = tonic::Request::new(CreatePlanRequest {
            plan: Some(Plan {
                symbol: "31-KH/TU".into(),
                issue_date: date(2016, 11, 30),
                title: "Kế hoạch học tập".into(),
                documents: vec![d.name.clone()],
                scope: "organizations/0190d5f2a1b27c3d8e9f00112233aabb".into(),
                period_start: date(2016, 12, 1),
                period_end: date(2017, 2, 28),
                ..Default::default()
            }),
            request_id: String::new(),
        });
        request.set_timeout(std::time::Duration::from_secs(5));
        let err = plans.create_plan(request).await.unwrap_err();
        assert_eq!(err.code(), Code::Unavailable, "{backend}: {err:?}");
        assert!(err.message().contains("members"), "{}", err.message());
        assert!(
            err.message().contains("nothing was recorded"),
            "{}",
            err.message()
        );
        let listed = plans
            .list_plans(ListPlansRequest::default())
            .await
            .unwrap()
            .into_inner();
        assert!(listed.plans.is_empty(), "{backend}");
        // Reads and writes that need no members still work.
        docs.get_document(GetDocumentRequest {
            name: d.name.clone(),
        })
        .await
        .unwrap();
        docs.create_document(doc("05-CT/TW", date(2016, 5, 15), "Chỉ thị 05"))
            .await
            .unwrap();
    }
}
