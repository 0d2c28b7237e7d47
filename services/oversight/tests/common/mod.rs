//! Oversight started against a real members server: each its own server and
//! database on loopback, sharing one token key as one deployment does,
//! oversight calling members over gRPC. The world: a province with two
//! districts, a cell in each, a member in each cell, and the agencies that
//! handle cases.
#![allow(dead_code, missing_docs)]

use probity_platform::{
    Clock,
    auth::Issuer,
    testing::{Authed, TestBackend, TestOptions, TestServer},
    vault::{KeyRing, ReceiptHasher},
};
use probity_proto::{
    google::r#type::Date,
    probity::{
        members::v1::{
            self as m, member_service_client::MemberServiceClient,
            organization_service_client::OrganizationServiceClient,
        },
        oversight::v1::{
            Agency, AgencyKind, AgencyLevel, Case, CaseIntake, CaseKind, CaseOrigin, CaseSubject,
            CreateAgencyRequest, CreateCaseRequest, agency_service_client::AgencyServiceClient,
            audit_service_client::AuditServiceClient, case_service_client::CaseServiceClient,
            job_service_client::JobServiceClient,
            monitoring_service_client::MonitoringServiceClient,
            reference_service_client::ReferenceServiceClient,
        },
    },
};
use tonic_types::StatusExt;

pub use probity_platform::testing::backends;

/// The day oversight's clock stands on.
pub const TODAY: (i32, u8, u8) = (2024, 4, 10);

/// A day on the wire.
pub fn date(y: i32, m: i32, d: i32) -> Option<Date> {
    Some(Date {
        year: y,
        month: m,
        day: d,
    })
}

/// The fields named in a status's `BadRequest`.
pub fn fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

/// The status's `ErrorInfo.reason`.
pub fn reason(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|i| i.reason.clone())
        .unwrap_or_default()
}

/// Oversight's options in tests: the vault keys of `file`, receipt codes
/// hashed at a test's cost (Argon2id all the same).
pub fn vault_options(file: &str) -> probity_oversight::Options {
    probity_oversight::Options {
        service: None,
        vault_keys: KeyRing::parse(file).expect("key file"),
        receipts: ReceiptHasher::new(1024, 1).expect("params"),
    }
}

/// Members and oversight, running, with the world recorded.
pub struct World {
    pub members: TestServer,
    pub oversight: TestServer,
    pub province: String,
    pub district_a: String,
    pub district_b: String,
    pub member_a: String,
    pub member_b: String,
    pub police: String,
    pub procuracy: String,
    /// The text of the vault key file oversight runs with.
    pub vault_file: String,
    /// The issuer the servers trust, for replicas.
    pub issuer: Issuer,
}

impl World {
    /// Starts members, then oversight pointed at it, on `backend`, and
    /// records the world.
    pub async fn start(backend: &TestBackend) -> Self {
        let key = Issuer::generate();
        // One clock for both, as one deployment's servers share the time
        // of day: tokens minted on it are valid at both.
        let (y, mo, d) = TODAY;
        let clock = Clock::on(
            time::Date::from_calendar_date(y, time::Month::try_from(mo).unwrap(), d).unwrap(),
        );
        let mut options = TestOptions::new(probity_members::SCHEMA);
        options.issuer = Some(key.clone());
        options.clock = Some(clock.clone());
        let members = TestServer::start(backend, options, probity_members::register).await;
        let peer = probity_oversight::MembersPeer::connect_lazy(&members.url(), None).expect("url");
        let vault_file = KeyRing::new_file("k1");
        let mut options = TestOptions::new(probity_oversight::SCHEMA);
        options.issuer = Some(key.clone());
        options.clock = Some(clock);
        let oversight = TestServer::start(backend, options, |server, db| {
            probity_oversight::register_with(server, db, peer, vault_options(&vault_file))
        })
        .await;
        let admin = members.admin();
        let province = org(&admin, "", "TU", m::OrganizationKind::Province).await;
        let district_a = org(&admin, &province, "HU-A", m::OrganizationKind::District).await;
        let district_b = org(&admin, &province, "HU-B", m::OrganizationKind::District).await;
        let cell_a = org(&admin, &district_a, "CB-A", m::OrganizationKind::Grassroots).await;
        let cell_b = org(&admin, &district_b, "CB-B", m::OrganizationKind::Grassroots).await;
        let member_a = member(&admin, &cell_a, "92000001", "Nguyễn Văn A").await;
        let member_b = member(&admin, &cell_b, "92000002", "Trần Thị B").await;
        let agencies = AgencyServiceClient::new(oversight.admin());
        let police = agency(agencies.clone(), "CSDT-CA", AgencyKind::Investigation).await;
        let procuracy = agency(agencies, "VKS-TINH", AgencyKind::Procuracy).await;
        Self {
            members,
            oversight,
            province,
            district_a,
            district_b,
            member_a,
            member_b,
            police,
            procuracy,
            vault_file,
            issuer: key,
        }
    }

    /// Another oversight server over this one's database and members, its
    /// vault keys read from `vault_file`.
    pub async fn replica(&self, vault_file: &str) -> TestServer {
        let peer =
            probity_oversight::MembersPeer::connect_lazy(&self.members.url(), None).expect("url");
        let mut options = TestOptions::new(probity_oversight::SCHEMA);
        options.issuer = Some(self.issuer.clone());
        options.clock = Some(self.oversight.clock.clone());
        options.database = Some(self.oversight.db.clone());
        TestServer::start(&self.oversight.backend, options, |server, db| {
            probity_oversight::register_with(server, db, peer, vault_options(vault_file))
        })
        .await
    }

    /// A channel to oversight as a case officer over `scope` (organisation
    /// names or `*`).
    pub fn officer(&self, scope: &[&str]) -> Authed {
        self.oversight
            .with_token(&self.oversight.token("officer", &["case-officer"], scope))
    }

    /// A channel to oversight as the steering committee over `scope`.
    pub fn steering(&self, scope: &[&str]) -> Authed {
        self.oversight.with_token(
            &self
                .oversight
                .token("steering", &["steering-committee"], scope),
        )
    }

    pub fn monitoring(&self, channel: Authed) -> MonitoringServiceClient<Authed> {
        MonitoringServiceClient::new(channel)
    }

    /// Moves the shared clock to `day` (tokens are minted afresh by each
    /// channel helper).
    pub fn set_today(&self, y: i32, m: u8, d: u8) {
        self.oversight.clock.set_today(
            time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap(),
        );
    }

    /// A channel to oversight with `roles` over `scope`.
    pub fn caller(&self, roles: &[&str], scope: &[&str]) -> Authed {
        self.oversight
            .with_token(&self.oversight.token("someone", roles, scope))
    }

    pub fn cases(&self, channel: Authed) -> CaseServiceClient<Authed> {
        CaseServiceClient::new(channel)
    }

    pub fn reference(&self) -> ReferenceServiceClient<Authed> {
        ReferenceServiceClient::new(self.officer(&["*"]))
    }

    pub fn agencies(&self) -> AgencyServiceClient<Authed> {
        AgencyServiceClient::new(self.oversight.admin())
    }

    pub fn jobs(&self) -> JobServiceClient<Authed> {
        JobServiceClient::new(self.oversight.admin())
    }

    pub fn audit(&self) -> AuditServiceClient<Authed> {
        AuditServiceClient::new(self.oversight.admin())
    }

    /// A case of district A about member A, from denunciation `reference`,
    /// received on 2024-03-01, handled by the police.
    pub fn case_in_a(&self, code: &str, reference: &str) -> Case {
        Case {
            code: code.into(),
            title: "Sai phạm trong giao đất tại huyện A".into(),
            kind: CaseKind::Incident as i32,
            sector: "sectors/land".into(),
            jurisdiction: self.district_a.clone(),
            handling_agencies: vec![self.police.clone()],
            subjects: vec![
                CaseSubject {
                    member: self.member_a.clone(),
                    position: "Chủ tịch UBND xã".into(),
                    ..Default::default()
                },
                CaseSubject {
                    full_name: "Lê Văn C".into(),
                    position: "Giám đốc công ty X".into(),
                    ..Default::default()
                },
            ],
            loss_vnd: 12_000_000_000,
            intakes: vec![CaseIntake {
                origin: CaseOrigin::Denunciation as i32,
                origin_reference: reference.into(),
                received_date: date(2024, 3, 1),
                summary: "Đơn tố cáo về việc giao đất trái thẩm quyền".into(),
            }],
            ..Default::default()
        }
    }

    /// Records `case` as a province-wide case officer.
    pub async fn create(&self, case: Case) -> Result<Case, tonic::Status> {
        self.cases(self.officer(&["*"]))
            .create_case(CreateCaseRequest {
                r#case: Some(case),
                request_id: String::new(),
            })
            .await
            .map(|r| r.into_inner())
    }
}

async fn org(admin: &Authed, parent: &str, code: &str, kind: m::OrganizationKind) -> String {
    OrganizationServiceClient::new(admin.clone())
        .create_organization(m::CreateOrganizationRequest {
            organization: Some(m::Organization {
                code: code.into(),
                display_name: format!("Tổ chức {code}"),
                kind: kind as i32,
                parent: parent.into(),
                valid_from: date(2000, 1, 1),
                ..Default::default()
            }),
            request_id: String::new(),
        })
        .await
        .expect("organisation")
        .into_inner()
        .name
}

async fn member(admin: &Authed, cell: &str, card: &str, full_name: &str) -> String {
    MemberServiceClient::new(admin.clone())
        .create_member(m::CreateMemberRequest {
            member: Some(m::Member {
                party_card_number: card.into(),
                full_name: full_name.into(),
                date_of_birth: date(1975, 5, 1),
                gender: m::Gender::Male as i32,
                organization: cell.into(),
                admission_date: date(2005, 3, 1),
                ..Default::default()
            }),
            official_date: date(2006, 3, 1),
            request_id: String::new(),
        })
        .await
        .expect("member")
        .into_inner()
        .name
}

async fn agency(mut client: AgencyServiceClient<Authed>, code: &str, kind: AgencyKind) -> String {
    client
        .create_agency(CreateAgencyRequest {
            agency: Some(Agency {
                code: code.into(),
                display_name: format!("Cơ quan {code}"),
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
