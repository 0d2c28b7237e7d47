//! Mutual TLS between agencies and Probity, and between Probity's own
//! services (issue 12): members and study each speak TLS only and require
//! a client certificate of their CA; the agency table says whose each
//! certificate is. Study calls members over mutual TLS with its own
//! certificate, forwarding the caller's token. On every backend.

use std::{sync::Arc, time::Duration};

use probity_platform::{
    auth::{Issuer, TokenRules, Verifier},
    client::{ClientTls, endpoint, with_token},
    testing::{TestBackend, TestOptions, TestServer, TestTls, backends, write_later},
    tls::{DevCa, Pair, TlsFiles},
};
use probity_proto::probity::{
    members::v1::{
        GetOrganizationRequest, OrganizationKind,
        organization_service_client::OrganizationServiceClient,
    },
    study::v1::plan_service_client::PlanServiceClient,
};
use requests::plan_request;
use tonic::Code;

#[path = "../services/study/tests/common/requests.rs"]
mod requests;

/// The certificates of one deployment, written to a folder.
struct Pki {
    dir: tempfile::TempDir,
    ca: DevCa,
    /// Members' and study's server certificate (also study's client one).
    service: Pair,
    /// The client certificate of agency `test-agency`.
    agency: Pair,
}

impl Pki {
    fn new() -> Self {
        let ca = DevCa::generate().unwrap();
        let service = ca.server(&["localhost", "127.0.0.1"]).unwrap();
        let agency = ca.client("test-agency").unwrap();
        let me = Self {
            dir: tempfile::tempdir().unwrap(),
            ca,
            service,
            agency,
        };
        me.write("ca.pem", me.ca.cert());
        me.write("service.pem", &me.service.cert);
        me.write("service.key", &me.service.key);
        me.write(
            "agencies",
            &format!(
                "{} *\n{} test-agency\n",
                me.service.fingerprint, me.agency.fingerprint
            ),
        );
        me
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str) {
        write_later(&self.path(name), text);
    }

    fn files(&self) -> TlsFiles {
        TlsFiles {
            cert: self.path("service.pem"),
            key: self.path("service.key"),
            client_ca: Some(self.path("ca.pem")),
            agencies: Some(self.path("agencies")),
        }
    }

    /// What a client with `pair` (none: no certificate) trusts and shows.
    fn client(&self, pair: Option<&Pair>) -> ClientTls {
        ClientTls {
            ca: self.ca.cert().to_string(),
            identity: pair.map(|p| (p.cert.clone(), p.key.clone())),
        }
    }
}

/// Options of a server of `schema` over mutual TLS with `pki`, trusting
/// `issuer`, rereading its files every 100 ms.
fn tls_options(pki: &Pki, issuer: &Issuer, schema: &'static str) -> TestOptions {
    let mut options = TestOptions::new(schema);
    options.issuer = Some(issuer.clone());
    options.verifier = Some(Arc::new(Verifier::trusting(issuer, TokenRules::default())));
    options.reload_interval = Some(Duration::from_millis(100));
    options.tls = Some(TestTls {
        files: pki.files(),
        client: pki.client(Some(&pki.agency)),
    });
    options
}

/// Members, study, oversight and reports over mutual TLS; their peers
/// present the service certificate.
async fn stack(backend: &TestBackend, pki: &Pki) -> probity_e2e::Stack {
    let issuer = Issuer::generate();
    let options = tls_options(pki, &issuer, probity_members::SCHEMA);
    let members = TestServer::start(backend, options, probity_members::register).await;
    let peer_tls = pki.client(Some(&pki.service));
    let peer = probity_study::MembersPeer::connect_lazy(&members.url(), Some(&peer_tls)).unwrap();
    let options = tls_options(pki, &issuer, probity_study::SCHEMA);
    let study = TestServer::start(backend, options, |server, db| {
        probity_study::register(server, db, peer.clone())
    })
    .await;
    let options = tls_options(pki, &issuer, probity_oversight::SCHEMA);
    let oversight = TestServer::start(backend, options, |server, db| {
        probity_oversight::register(server, db, peer.clone())
    })
    .await;
    let sources = probity_reports::SourcesPeer::connect_lazy(
        &members.url(),
        &study.url(),
        &oversight.url(),
        Some(&peer_tls),
    )
    .unwrap();
    let options = tls_options(pki, &issuer, probity_reports::SCHEMA);
    let reports = TestServer::start(backend, options, |server, db| {
        probity_reports::register(server, db, peer, sources)
    })
    .await;
    probity_e2e::Stack {
        members,
        study,
        oversight,
        reports,
    }
}

/// Asks members for `name` over a connection with `tls` and a token of
/// `agency`; the status code.
async fn ask(members: &TestServer, tls: &ClientTls, agency: &str, name: &str) -> Code {
    let token = members.token_of_agency(agency, "clerk", &["reader"], &["*"]);
    let channel = endpoint(&members.url(), Some(tls)).unwrap().connect_lazy();
    let answer = OrganizationServiceClient::new(with_token(channel, &token).unwrap())
        .get_organization(GetOrganizationRequest { name: name.into() })
        .await;
    answer.err().map_or(Code::Ok, |s| s.code())
}

#[tokio::test]
async fn mutual_tls_binds_tokens_to_the_agency_of_the_certificate() {
    for backend in backends() {
        let pki = Pki::new();
        let stack = stack(&backend, &pki).await;
        let province = stack.org("", "TLS", OrganizationKind::Province).await;

        // The agency's certificate with a token of that agency: served.
        let own = pki.client(Some(&pki.agency));
        assert_eq!(
            ask(&stack.members, &own, "test-agency", &province).await,
            Code::Ok
        );

        // The same certificate with a token of another agency (signed by
        // the trusted key): refused.
        let code = ask(&stack.members, &own, "other-agency", &province).await;
        assert_eq!(code, Code::Unauthenticated, "{backend}");

        // No client certificate: the handshake fails, nothing is served.
        let bare = pki.client(None);
        let code = ask(&stack.members, &bare, "test-agency", &province).await;
        assert_ne!(code, Code::Ok, "{backend}");
        assert_ne!(code, Code::NotFound, "{backend}");

        // A certificate of the right CA but not in the agency table.
        let stranger = pki.ca.client("stranger").unwrap();
        let theirs = pki.client(Some(&stranger));
        let code = ask(&stack.members, &theirs, "test-agency", &province).await;
        assert_eq!(code, Code::Unauthenticated, "{backend}");

        // Plaintext: refused at the handshake.
        let plain = tonic::transport::Channel::from_shared(stack.members.server.url())
            .unwrap()
            .connect_lazy();
        let token = stack.members.token("clerk", &["reader"], &["*"]);
        let answer = OrganizationServiceClient::new(with_token(plain, &token).unwrap())
            .get_organization(GetOrganizationRequest {
                name: province.clone(),
            })
            .await;
        assert!(answer.is_err(), "{backend}");

        // Study asks members about the organisation over mutual TLS with
        // its service certificate and the caller's token.
        let document = stack.document().await;
        let plan = PlanServiceClient::new(stack.study_admin())
            .create_plan(plan_request(&province, vec![document]))
            .await
            .expect("study reached members over mTLS")
            .into_inner();
        assert_eq!(plan.scope, province);

        // Registering the stranger's certificate takes effect without a
        // restart.
        let table = std::fs::read_to_string(pki.path("agencies")).unwrap();
        pki.write(
            "agencies",
            &format!("{table}{} test-agency\n", stranger.fingerprint),
        );
        let mut code = Code::Unknown;
        for _ in 0..100 {
            code = ask(&stack.members, &theirs, "test-agency", &province).await;
            if code == Code::Ok {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            code,
            Code::Ok,
            "the agency table was not reread ({backend})"
        );
    }
}

#[tokio::test]
async fn a_new_server_certificate_is_served_without_a_restart() {
    let backend = TestBackend::Sqlite;
    let pki = Pki::new();
    let issuer = Issuer::generate();
    let options = tls_options(&pki, &issuer, probity_members::SCHEMA);
    let members = TestServer::start(&backend, options, probity_members::register).await;

    // A client that trusts only a new CA cannot connect yet.
    let next_ca = DevCa::generate().unwrap();
    let next = next_ca.server(&["localhost", "127.0.0.1"]).unwrap();
    let trusts_next = ClientTls {
        ca: next_ca.cert().to_string(),
        identity: Some((pki.agency.cert.clone(), pki.agency.key.clone())),
    };
    assert_ne!(
        ask(
            &members,
            &trusts_next,
            "test-agency",
            "organizations/0123456789abcdef0123456789abcdef"
        )
        .await,
        Code::NotFound
    );

    // The server's certificate and key are replaced on disk.
    pki.write("service.key", &next.key);
    pki.write("service.pem", &next.cert);
    let mut code = Code::Unknown;
    for _ in 0..100 {
        code = ask(
            &members,
            &trusts_next,
            "test-agency",
            "organizations/0123456789abcdef0123456789abcdef",
        )
        .await;
        if code == Code::NotFound {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        code,
        Code::NotFound,
        "served the new certificate: the call got to the handler"
    );
}
