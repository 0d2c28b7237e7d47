//! Traces across services: `probity serve study` and `probity serve
//! members`, each exporting to a collector (an in-test OTLP/gRPC server)
//! with `--otlp-endpoint`. A client's call to study carrying a
//! `traceparent` is exported as study's server span in that trace, a child
//! of the client's span; the calls study makes to members for it are
//! members' server spans in the same trace, children of study's span.
//! Spans carry no token.

use std::{
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

mod common;

use common::{PROBITY, Server, free_port, probity};
use opentelemetry_proto::tonic::{
    collector::trace::v1::{
        ExportTraceServiceRequest, ExportTraceServiceResponse,
        trace_service_server::{TraceService, TraceServiceServer},
    },
    common::v1::any_value::Value,
};
use probity_platform::client::with_token;
use probity_proto::{
    google::r#type::Date,
    probity::{
        members::v1::{
            CreateOrganizationRequest, Organization, OrganizationKind,
            organization_service_client::OrganizationServiceClient,
        },
        study::v1::{
            CreateDocumentRequest, CreatePlanRequest, Document, Plan,
            document_service_client::DocumentServiceClient, plan_service_client::PlanServiceClient,
        },
    },
};

/// A span as the collector received it.
#[derive(Debug, Clone)]
struct Received {
    service: String,
    name: String,
    trace_id: String,
    span_id: String,
    parent_span_id: String,
    attributes: String,
}

#[derive(Default, Clone)]
struct Collector(Arc<Mutex<Vec<Received>>>);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut received = self.0.lock().unwrap();
        for resource_spans in request.into_inner().resource_spans {
            let service = resource_spans
                .resource
                .iter()
                .flat_map(|r| &r.attributes)
                .find(|a| a.key == "service.name")
                .and_then(|a| a.value.as_ref()?.value.as_ref())
                .map(|v| match v {
                    Value::StringValue(s) => s.clone(),
                    other => format!("{other:?}"),
                })
                .unwrap_or_default();
            for span in resource_spans.scope_spans.into_iter().flat_map(|s| s.spans) {
                received.push(Received {
                    service: service.clone(),
                    name: span.name.clone(),
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent_span_id: hex(&span.parent_span_id),
                    attributes: format!("{:?}", span.attributes),
                });
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

async fn healthy(addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !probity(&["health", "--addr", addr]).status.success() {
        assert!(Instant::now() < deadline, "{addr} did not become healthy");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn one_trace_runs_from_the_client_through_study_into_members() {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let otlp = format!("http://{}", listener.local_addr().unwrap());
    let service = collector.clone();
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(service))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await
    });

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    assert!(
        probity(&["keys", "init", "--data-dir", data])
            .status
            .success()
    );
    let token = String::from_utf8(
        probity(&[
            "token",
            "issue",
            "--sub",
            "admin",
            "--agency",
            "tinh-uy",
            "--role",
            "admin",
            "--scope",
            "*",
            "--data-dir",
            data,
        ])
        .stdout,
    )
    .unwrap();
    let members_listen = format!("127.0.0.1:{}", free_port());
    let study_listen = format!("127.0.0.1:{}", free_port());
    let serve = |args: &[&str]| {
        Server(
            Command::new(PROBITY)
                .args(args)
                .args(["--data-dir", data, "--otlp-endpoint", &otlp])
                .env("OTEL_BSP_SCHEDULE_DELAY", "100")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    };
    let _members = serve(&["serve", "members", "--listen", &members_listen]);
    let members_url = format!("http://{members_listen}");
    let _study = serve(&[
        "serve",
        "study",
        "--listen",
        &study_listen,
        "--members-url",
        &members_url,
    ]);
    healthy(&members_url).await;
    let study_url = format!("http://{study_listen}");
    healthy(&study_url).await;

    let channel = |url: &str| {
        with_token(
            tonic::transport::Channel::from_shared(url.to_string())
                .unwrap()
                .connect_lazy(),
            token.trim(),
        )
        .unwrap()
    };
    let province = OrganizationServiceClient::new(channel(&members_url))
        .create_organization(CreateOrganizationRequest {
            organization: Some(Organization {
                code: "TU".into(),
                display_name: "Đảng bộ tỉnh".into(),
                kind: OrganizationKind::Province as i32,
                valid_from: date(2000, 1, 1),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let document = DocumentServiceClient::new(channel(&study_url))
        .create_document(CreateDocumentRequest {
            document: Some(Document {
                symbol: "04-NQ/TW".into(),
                issue_date: date(2016, 10, 30),
                title: "Nghị quyết Trung ương 4".into(),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();

    // The client's own span: trace T, span P.
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let client_span = "00f067aa0ba902b7";
    let mut request = tonic::Request::new(CreatePlanRequest {
        plan: Some(Plan {
            symbol: "31-KH/TU".into(),
            issue_date: date(2016, 11, 30),
            title: "Kế hoạch học tập".into(),
            documents: vec![document.name],
            scope: province.name,
            period_start: date(2016, 12, 1),
            period_end: date(2017, 2, 28),
            ..Default::default()
        }),
        request_id: String::new(),
    });
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{trace_id}-{client_span}-01").parse().unwrap(),
    );
    PlanServiceClient::new(channel(&study_url))
        .create_plan(request)
        .await
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(20);
    let (study_span, members_spans) = loop {
        let spans: Vec<Received> = collector.0.lock().unwrap().clone();
        let in_trace: Vec<&Received> = spans.iter().filter(|s| s.trace_id == trace_id).collect();
        let study = in_trace
            .iter()
            .find(|s| s.service == "probity-study" && s.name.ends_with("PlanService/CreatePlan"))
            .map(|s| (*s).clone());
        let members: Vec<Received> = in_trace
            .iter()
            .filter(|s| s.service == "probity-members")
            .map(|s| (*s).clone())
            .collect();
        if let Some(study) = study
            && !members.is_empty()
        {
            break (study, members);
        }
        assert!(
            Instant::now() < deadline,
            "no complete trace in 20 s; received: {spans:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        study_span.parent_span_id, client_span,
        "a child of the client's span"
    );
    for span in &members_spans {
        assert_eq!(
            span.parent_span_id, study_span.span_id,
            "members' {} is a child of study's CreatePlan span",
            span.name
        );
        assert!(
            span.name.starts_with("/probity.members.v1."),
            "{}",
            span.name
        );
    }
    let all = collector.0.lock().unwrap().clone();
    for span in &all {
        assert!(
            !span.attributes.contains(token.trim()),
            "a token in a span: {span:?}"
        );
    }
}
