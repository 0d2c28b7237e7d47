//! What the end-to-end tests share: members, study, oversight and reports
//! started as separate servers (each with its own database, sharing one
//! token key as one deployment does), study and oversight calling members
//! over gRPC, reports reading all three.

use probity_platform::{
    auth::Issuer,
    testing::{Authed, TestBackend, TestOptions, TestServer},
};
use probity_proto::{
    google::r#type::Date,
    probity::{
        members::v1::{
            CreateOrganizationRequest, Organization, OrganizationKind,
            organization_service_client::OrganizationServiceClient,
        },
        oversight::v1::{
            Agency, AgencyKind, AgencyLevel, CreateAgencyRequest,
            agency_service_client::AgencyServiceClient,
        },
        study::v1::{
            CreateDocumentRequest, Document, document_service_client::DocumentServiceClient,
        },
    },
};

/// Members, study, oversight and reports, running.
pub struct Stack {
    /// The members server.
    pub members: TestServer,
    /// The study server, configured with the members server's URL.
    pub study: TestServer,
    /// The oversight server, configured with the members server's URL.
    pub oversight: TestServer,
    /// The reports server, reading the other three.
    pub reports: TestServer,
}

impl Stack {
    /// Starts members, then study and oversight pointed at it, on
    /// `backend`, wired as `probity up` wires them: members reads
    /// disciplinary decisions from oversight and study facts from study,
    /// oversight applies decisions in members on its own account.
    pub async fn start(backend: &TestBackend) -> Self {
        let key = Issuer::generate();
        let mut options = TestOptions::new(probity_members::SCHEMA);
        options.issuer = Some(key.clone());
        let oversight_peer = probity_members::peers::OversightPeer::deferred();
        let study_peer = probity_members::peers::StudyPeer::deferred();
        let peers = probity_members::peers::Peers {
            discipline: std::sync::Arc::new(oversight_peer.clone()),
            study: std::sync::Arc::new(study_peer.clone()),
        };
        let members = TestServer::start(backend, options, |server, db| {
            probity_members::register_with(server, db, peers)
        })
        .await;
        let service = service_identity(&members, &members.url());
        let stack = Self::start_beside(backend, members, key, Some(service)).await;
        oversight_peer
            .connect_to(&stack.oversight.url(), None)
            .expect("oversight url");
        study_peer
            .connect_to(&stack.study.url(), None)
            .expect("study url");
        stack
    }

    /// Starts study and oversight pointed at a running members server.
    pub async fn with_members(backend: &TestBackend, members: TestServer, key: Issuer) -> Self {
        Self::start_beside(backend, members, key, None).await
    }

    /// Starts study and oversight pointed at a running members server,
    /// oversight applying decisions in members through `service`.
    pub async fn start_beside(
        backend: &TestBackend,
        members: TestServer,
        key: Issuer,
        service: Option<probity_oversight::MembersAsService>,
    ) -> Self {
        let peer =
            probity_study::MembersPeer::connect_lazy(&members.url(), None).expect("members url");
        let mut options = TestOptions::new(probity_study::SCHEMA);
        options.issuer = Some(key.clone());
        let study = TestServer::start(backend, options, |server, db| {
            probity_study::register(server, db, peer.clone())
        })
        .await;
        let mut options = TestOptions::new(probity_oversight::SCHEMA);
        options.issuer = Some(key.clone());
        let oversight = TestServer::start(backend, options, |server, db| {
            probity_oversight::register_with(
                server,
                db,
                peer,
                probity_oversight::Options {
                    service,
                    ..probity_oversight::Options::ephemeral()
                },
            )
        })
        .await;
        let mut options = TestOptions::new(probity_reports::SCHEMA);
        options.issuer = Some(key);
        let sources = probity_reports::SourcesPeer::connect_lazy(
            &members.url(),
            &study.url(),
            &oversight.url(),
            None,
        )
        .expect("urls");
        let scopes =
            probity_reports::MembersPeer::connect_lazy(&members.url(), None).expect("members url");
        let reports = TestServer::start(backend, options, |server, db| {
            probity_reports::register(server, db, scopes, sources)
        })
        .await;
        Self {
            members,
            study,
            oversight,
            reports,
        }
    }

    /// An admin channel to members.
    pub fn members_admin(&self) -> Authed {
        self.members.admin()
    }

    /// An admin channel to study.
    pub fn study_admin(&self) -> Authed {
        self.study.admin()
    }

    /// An admin channel to oversight.
    pub fn oversight_admin(&self) -> Authed {
        self.oversight.admin()
    }

    /// An admin channel to reports.
    pub fn reports_admin(&self) -> Authed {
        self.reports.admin()
    }

    /// Registers a provincial agency of `kind` under `code` in oversight, as
    /// the admin; its name.
    pub async fn agency(&self, code: &str, name: &str, kind: AgencyKind) -> String {
        AgencyServiceClient::new(self.oversight_admin())
            .create_agency(CreateAgencyRequest {
                agency: Some(Agency {
                    code: code.into(),
                    display_name: name.into(),
                    kind: kind as i32,
                    level: AgencyLevel::Province as i32,
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("agency")
            .into_inner()
            .name
    }

    /// A channel to study with a token for `roles` over `scope`.
    pub fn study_as(&self, roles: &[&str], scope: &[&str]) -> Authed {
        self.study
            .with_token(&self.study.token("tester", roles, scope))
    }

    /// Creates organisation `code` of `kind` under `parent` (a root when
    /// empty), in existence from 2000-01-01, as the admin; its name.
    pub async fn org(&self, parent: &str, code: &str, kind: OrganizationKind) -> String {
        let organization = Organization {
            code: code.into(),
            display_name: format!("Tổ chức {code}"),
            kind: kind as i32,
            parent: parent.into(),
            valid_from: Some(Date {
                year: 2000,
                month: 1,
                day: 1,
            }),
            ..Default::default()
        };
        OrganizationServiceClient::new(self.members_admin())
            .create_organization(CreateOrganizationRequest {
                organization: Some(organization),
                request_id: String::new(),
            })
            .await
            .expect("organisation")
            .into_inner()
            .name
    }

    /// Records document 04-NQ/TW, the resolution the plans cite; its name.
    pub async fn document(&self) -> String {
        DocumentServiceClient::new(self.study_admin())
            .create_document(CreateDocumentRequest {
                document: Some(Document {
                    symbol: "04-NQ/TW".into(),
                    issue_date: Some(Date {
                        year: 2016,
                        month: 10,
                        day: 30,
                    }),
                    title: "Nghị quyết Hội nghị Trung ương 4 khóa XII".into(),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .expect("document")
            .into_inner()
            .name
    }
}

/// Oversight's own identity for members at `url`: tokens of
/// `service:oversight` with the writer role over the whole tree, minted on
/// `members`' key and clock for every delivery.
pub fn service_identity(members: &TestServer, url: &str) -> probity_oversight::MembersAsService {
    let issuer = members.issuer.clone();
    let clock = members.clock.clone();
    probity_oversight::MembersAsService::connect_lazy(url, None, move || {
        Ok::<String, String>(issuer.sign(&probity_platform::auth::Claims::new(
            "service:oversight",
            "test-agency",
            &["writer"],
            &["*"],
            clock.now_seconds(),
            3600,
        )))
    })
    .expect("members url")
}
