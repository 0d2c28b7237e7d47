//! What the end-to-end tests share: members, study and oversight started
//! as separate servers (each with its own database, sharing one token key
//! as one deployment does), study and oversight calling members over gRPC.

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
        study::v1::{
            CreateDocumentRequest, Document, document_service_client::DocumentServiceClient,
        },
    },
};

/// Members, study and oversight, running.
pub struct Stack {
    /// The members server.
    pub members: TestServer,
    /// The study server, configured with the members server's URL.
    pub study: TestServer,
    /// The oversight server, configured with the members server's URL.
    pub oversight: TestServer,
}

impl Stack {
    /// Starts members, then study and oversight pointed at it, on
    /// `backend`.
    pub async fn start(backend: &TestBackend) -> Self {
        let key = Issuer::generate();
        let mut options = TestOptions::new(probity_members::SCHEMA);
        options.issuer = Some(key.clone());
        let members = TestServer::start(backend, options, probity_members::register).await;
        Self::with_members(backend, members, key).await
    }

    /// Starts study and oversight pointed at a running members server.
    pub async fn with_members(backend: &TestBackend, members: TestServer, key: Issuer) -> Self {
        let peer =
            probity_study::MembersPeer::connect_lazy(&members.url(), None).expect("members url");
        let mut options = TestOptions::new(probity_study::SCHEMA);
        options.issuer = Some(key.clone());
        let study = TestServer::start(backend, options, |server, db| {
            probity_study::register(server, db, peer.clone())
        })
        .await;
        let mut options = TestOptions::new(probity_oversight::SCHEMA);
        options.issuer = Some(key);
        let oversight = TestServer::start(backend, options, |server, db| {
            probity_oversight::register(server, db, peer)
        })
        .await;
        Self {
            members,
            study,
            oversight,
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
