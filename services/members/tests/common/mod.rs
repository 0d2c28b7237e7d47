//! Fixtures for the members API tests.
#![allow(dead_code, missing_docs)]

pub mod declarations;

use probity_platform::testing::{Authed, TestBackend, TestOptions, TestServer};
use probity_proto::{
    google::r#type::Date,
    probity::members::v1::{
        CreateMemberRequest, CreateOrganizationRequest, Gender, Member, MemberEventKind,
        Organization, OrganizationKind, RecordMemberEventRequest, StreamRosterRequest,
        member_service_client::MemberServiceClient,
        organization_service_client::OrganizationServiceClient,
    },
};

pub use probity_platform::testing::backends;

pub type Orgs = OrganizationServiceClient<Authed>;
pub type Members = MemberServiceClient<Authed>;

pub async fn start(backend: &TestBackend) -> TestServer {
    TestServer::start(
        backend,
        TestOptions::new(probity_members::SCHEMA),
        probity_members::register,
    )
    .await
}

pub fn date(y: i32, m: i32, d: i32) -> Option<Date> {
    Some(Date {
        year: y,
        month: m,
        day: d,
    })
}

pub fn id_of(name: &str) -> &str {
    name.rsplit('/').next().unwrap()
}

/// A request to create organisation `code` of `kind` under `parent`.
pub fn org_request(
    parent: &str,
    code: &str,
    kind: OrganizationKind,
    from: Option<Date>,
) -> CreateOrganizationRequest {
    CreateOrganizationRequest {
        organization: Some(Organization {
            code: code.into(),
            display_name: format!("Tổ chức {code}"),
            kind: kind as i32,
            parent: parent.into(),
            valid_from: from,
            ..Default::default()
        }),
        request_id: String::new(),
    }
}

pub async fn org(
    client: &mut Orgs,
    parent: &str,
    code: &str,
    kind: OrganizationKind,
    from: Option<Date>,
) -> Organization {
    client
        .create_organization(org_request(parent, code, kind, from))
        .await
        .unwrap_or_else(|e| panic!("create {code}: {e:?}"))
        .into_inner()
}

pub fn member_request(
    org: &str,
    card: &str,
    name: &str,
    admitted: Option<Date>,
) -> CreateMemberRequest {
    CreateMemberRequest {
        member: Some(Member {
            party_card_number: card.into(),
            full_name: name.into(),
            date_of_birth: date(1980, 5, 17),
            gender: Gender::Female as i32,
            organization: org.into(),
            admission_date: admitted,
            ..Default::default()
        }),
        official_date: None,
        request_id: String::new(),
    }
}

pub async fn member(
    client: &mut Members,
    org: &str,
    card: &str,
    name: &str,
    admitted: Option<Date>,
) -> Member {
    client
        .create_member(member_request(org, card, name, admitted))
        .await
        .unwrap_or_else(|e| panic!("create member {card}: {e:?}"))
        .into_inner()
}

/// A province with two districts, each with two cells:
/// TU → {HU-A → {A1, A2}, HU-B → {B1, B2}}, all from 2010-01-01.
pub struct Tree {
    pub province: Organization,
    pub district_a: Organization,
    pub district_b: Organization,
    pub a1: Organization,
    pub a2: Organization,
    pub b1: Organization,
    pub b2: Organization,
}

pub async fn tree(orgs: &mut Orgs) -> Tree {
    use OrganizationKind::*;
    let from = || date(2010, 1, 1);
    let province = org(orgs, "", "TU", Province, from()).await;
    let district_a = org(orgs, &province.name, "HU-A", District, from()).await;
    let district_b = org(orgs, &province.name, "HU-B", District, from()).await;
    let a1 = org(orgs, &district_a.name, "A1", Cell, from()).await;
    let a2 = org(orgs, &district_a.name, "A2", Cell, from()).await;
    let b1 = org(orgs, &district_b.name, "B1", Cell, from()).await;
    let b2 = org(orgs, &district_b.name, "B2", Cell, from()).await;
    Tree {
        province,
        district_a,
        district_b,
        a1,
        a2,
        b1,
        b2,
    }
}

/// The `ErrorInfo.reason` and the fields of `BadRequest` in a status.
pub fn details(status: &tonic::Status) -> (String, Vec<String>) {
    use tonic_types::StatusExt;
    let d = status.get_error_details();
    let reason = d.error_info().map(|i| i.reason.clone()).unwrap_or_default();
    let fields = d
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default();
    (reason, fields)
}

/// A request to record `kind` for `member`, effective `when`.
pub fn event(
    member: &Member,
    kind: MemberEventKind,
    when: Option<Date>,
) -> RecordMemberEventRequest {
    RecordMemberEventRequest {
        member: member.name.clone(),
        kind: kind as i32,
        effective_date: when,
        ..Default::default()
    }
}

/// The roster of `org` on `as_of` as sorted (full name, status) pairs.
pub async fn roster(
    members: &mut Members,
    org: &str,
    as_of: Option<Date>,
    exclude_exempt: bool,
) -> Vec<(String, i32)> {
    use futures::StreamExt;
    let mut stream = members
        .stream_roster(StreamRosterRequest {
            organization: org.into(),
            as_of,
            exclude_exempt,
        })
        .await
        .unwrap()
        .into_inner();
    let mut out = Vec::new();
    while let Some(item) = stream.next().await {
        let item = item.unwrap();
        out.push((item.full_name, item.status));
    }
    out.sort();
    out
}
