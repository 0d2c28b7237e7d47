//! Each service as two replicas over one database, with the same results
//! as one (issue 16 §2): members ×2, study ×2 (each study replica reading a
//! different members replica) and oversight ×2, clients sending their calls
//! round-robin over the replicas. An idempotent retry that lands on the
//! other replica replays the first answer; an etag gone stale through one
//! replica is refused by the other; each service's audit log stays one
//! valid chain, the same through either replica; and oversight's delivery
//! job for a disciplinary decision runs once though both replicas run
//! job runners. On SQLite the replicas share the one pool a file allows;
//! on PostgreSQL each has its own pool, as separate processes would.

use std::time::Duration;

use probity_e2e::{Stack, service_identity};
use probity_platform::{
    Database,
    testing::{Authed, TestBackend, TestOptions, TestServer, backends},
};
use probity_proto::{
    google::r#type::Date,
    probity::{
        members::v1::{
            self as m, member_service_client::MemberServiceClient,
            organization_service_client::OrganizationServiceClient,
        },
        oversight::v1::{self as o, discipline_service_client::DisciplineServiceClient},
        study::v1::{self as s, document_service_client::DocumentServiceClient},
    },
};
use tonic::Code;

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

/// A second pool over `first`'s database (PostgreSQL), or the same pool
/// (SQLite: one writer per file).
async fn second_pool(backend: &TestBackend, first: &Database) -> Database {
    match backend {
        TestBackend::Sqlite => first.clone(),
        TestBackend::Postgres(url) => Database::connect(url, first.service(), 4)
            .await
            .expect("second pool"),
    }
}

/// A replica's options: the deployment's issuer and audit key, `db`.
fn replica_options(schema: &'static str, of: &TestServer, db: Database) -> TestOptions {
    let mut options = TestOptions::new(schema);
    options.issuer = Some(of.issuer.clone());
    options.audit_key = Some(of.audit_key.clone());
    options.database = Some(db);
    options
}

/// The whole log of one service's audit API, through `channel`.
macro_rules! audit_of {
    ($package:ident, $channel:expr) => {{
        use probity_proto::probity::$package::v1 as p;
        let mut client = p::audit_service_client::AuditServiceClient::new($channel);
        let verification = client
            .verify_audit_chain(p::VerifyAuditChainRequest {})
            .await
            .unwrap()
            .into_inner()
            .verification
            .unwrap();
        let mut entries = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_audit_entries(p::ListAuditEntriesRequest {
                    page_size: 1000,
                    page_token,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            entries.extend(page.entries.into_iter().map(|e| (e.sequence, e.hash)));
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        (verification.valid, verification.entries_checked, entries)
    }};
}

#[tokio::test]
async fn two_replicas_of_each_service_act_as_one() {
    for backend in backends() {
        let stack = Stack::start(&backend).await;

        // The second replicas.
        let members_db = second_pool(&backend, &stack.members.db).await;
        let oversight_peer = probity_members::peers::OversightPeer::deferred();
        let study_peer = probity_members::peers::StudyPeer::deferred();
        let peers = probity_members::peers::Peers {
            discipline: std::sync::Arc::new(oversight_peer.clone()),
            study: std::sync::Arc::new(study_peer.clone()),
        };
        let members_2 = TestServer::start(
            &backend,
            replica_options(probity_members::SCHEMA, &stack.members, members_db),
            |server, db| probity_members::register_with(server, db, peers),
        )
        .await;
        oversight_peer
            .connect_to(&stack.oversight.url(), None)
            .unwrap();
        study_peer.connect_to(&stack.study.url(), None).unwrap();
        let study_db = second_pool(&backend, &stack.study.db).await;
        let peer = probity_study::MembersPeer::connect_lazy(&members_2.url(), None).unwrap();
        let study_2 = TestServer::start(
            &backend,
            replica_options(probity_study::SCHEMA, &stack.study, study_db),
            |server, db| probity_study::register(server, db, peer),
        )
        .await;
        let oversight_db = second_pool(&backend, &stack.oversight.db).await;
        let peer = probity_oversight::MembersPeer::connect_lazy(&members_2.url(), None).unwrap();
        let service = service_identity(&stack.members, &members_2.url());
        let oversight_2 = TestServer::start(
            &backend,
            replica_options(probity_oversight::SCHEMA, &stack.oversight, oversight_db),
            |server, db| {
                probity_oversight::register_with(
                    server,
                    db,
                    peer,
                    probity_oversight::Options {
                        service: Some(service),
                        ..probity_oversight::Options::ephemeral()
                    },
                )
            },
        )
        .await;
        let members: [Authed; 2] = [stack.members.admin(), members_2.admin()];
        let study: [Authed; 2] = [stack.study.admin(), study_2.admin()];
        let oversight: [Authed; 2] = [stack.oversight.admin(), oversight_2.admin()];

        // Writes spread round-robin over the members replicas.
        let org = |i: usize, parent: &str, code: &str, kind: m::OrganizationKind| {
            let mut client = OrganizationServiceClient::new(members[i % 2].clone());
            let request = m::CreateOrganizationRequest {
                organization: Some(m::Organization {
                    code: code.into(),
                    display_name: format!("Tổ chức {code}"),
                    kind: kind as i32,
                    parent: parent.into(),
                    valid_from: date(2000, 1, 1),
                    ..Default::default()
                }),
                request_id: format!("replicas-{code}"),
            };
            async move { client.create_organization(request).await }
        };
        let province = org(0, "", "TU", m::OrganizationKind::Province)
            .await
            .unwrap()
            .into_inner();
        let district = org(1, &province.name, "HU", m::OrganizationKind::District)
            .await
            .unwrap()
            .into_inner();
        let mut cells = Vec::new();
        for i in 0..6 {
            let cell = org(
                i,
                &district.name,
                &format!("CB{i}"),
                m::OrganizationKind::Cell,
            )
            .await
            .unwrap()
            .into_inner();
            cells.push(cell);
        }

        // A retry of the first cell's create, on the other replica: the
        // first answer, not a second organisation.
        let retried = org(1, &district.name, "CB0", m::OrganizationKind::Cell)
            .await
            .unwrap()
            .into_inner();
        assert_eq!(retried, cells[0], "{backend}: replayed across replicas");
        let children = OrganizationServiceClient::new(members[0].clone())
            .list_organizations(m::ListOrganizationsRequest {
                parent: district.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .organizations;
        assert_eq!(children.len(), 6, "{backend}");

        // An etag read on one replica, changed through the other: stale.
        let stale = cells[1].clone();
        let mut renamed = stale.clone();
        renamed.display_name = "Chi bộ đổi tên".into();
        let renamed = OrganizationServiceClient::new(members[1].clone())
            .update_organization(m::UpdateOrganizationRequest {
                organization: Some(renamed),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["display_name".into()],
                }),
            })
            .await
            .unwrap()
            .into_inner();
        let mut late = stale.clone();
        late.display_name = "Chi bộ tên khác".into();
        let err = OrganizationServiceClient::new(members[0].clone())
            .update_organization(m::UpdateOrganizationRequest {
                organization: Some(late),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["display_name".into()],
                }),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Aborted, "{backend}: {err:?}");
        let now = OrganizationServiceClient::new(members[0].clone())
            .get_organization(m::GetOrganizationRequest {
                name: stale.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(now, renamed, "{backend}: both replicas read the same");

        // Members, one by one over both replicas.
        let mut people = Vec::new();
        for i in 0..4 {
            let person = MemberServiceClient::new(members[i % 2].clone())
                .create_member(m::CreateMemberRequest {
                    member: Some(m::Member {
                        party_card_number: format!("9300000{i}"),
                        full_name: format!("Đảng viên {i}"),
                        date_of_birth: date(1970, 1, 1),
                        organization: cells[i].name.clone(),
                        admission_date: date(2000, 3, 1),
                        ..Default::default()
                    }),
                    official_date: date(2001, 3, 1),
                    request_id: format!("replicas-member-{i}"),
                })
                .await
                .unwrap()
                .into_inner();
            people.push(person);
        }

        // Study: documents over both replicas; a retry on the other
        // replica replays; a stale etag is refused across them.
        let document = |i: usize, symbol: String| {
            let mut client = DocumentServiceClient::new(study[i % 2].clone());
            let request = s::CreateDocumentRequest {
                document: Some(s::Document {
                    symbol: symbol.clone(),
                    issue_date: date(2016, 10, 30),
                    title: format!("Văn bản {symbol}"),
                    ..Default::default()
                }),
                request_id: format!("replicas-{symbol}"),
            };
            async move { client.create_document(request).await }
        };
        let mut documents = Vec::new();
        for i in 0..4 {
            documents.push(
                document(i, format!("0{}-NQ/TW", i + 1))
                    .await
                    .unwrap()
                    .into_inner(),
            );
        }
        let again = document(1, "01-NQ/TW".into()).await.unwrap().into_inner();
        assert_eq!(
            again, documents[0],
            "{backend}: study replays across replicas"
        );
        let mut retitled = documents[2].clone();
        retitled.title = "Tên mới".into();
        DocumentServiceClient::new(study[1].clone())
            .update_document(s::UpdateDocumentRequest {
                document: Some(retitled),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["title".into()],
                }),
            })
            .await
            .unwrap();
        let mut late = documents[2].clone();
        late.title = "Tên khác".into();
        let err = DocumentServiceClient::new(study[0].clone())
            .update_document(s::UpdateDocumentRequest {
                document: Some(late),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["title".into()],
                }),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Aborted, "{backend}: {err:?}");

        // Oversight: an expulsion recorded through the second replica is
        // delivered to members once, though both replicas run jobs.
        let expulsion = DisciplineServiceClient::new(oversight[1].clone())
            .create_disciplinary_decision(o::CreateDisciplinaryDecisionRequest {
                decision: Some(o::DisciplinaryDecision {
                    member: people[3].name.clone(),
                    form: o::DisciplineForm::Expulsion as i32,
                    deciding_organization: district.name.clone(),
                    decision_number: "45-QĐ/UBKT".into(),
                    decision_date: date(2025, 8, 1),
                    effective_date: date(2025, 8, 1),
                    reason: "Vi phạm quy định về quản lý đất đai".into(),
                    ..Default::default()
                }),
                request_id: "replicas-expulsion".into(),
            })
            .await
            .unwrap()
            .into_inner();
        let mut applied = false;
        for _ in 0..150 {
            let d = DisciplineServiceClient::new(oversight[0].clone())
                .get_disciplinary_decision(o::GetDisciplinaryDecisionRequest {
                    name: expulsion.name.clone(),
                })
                .await
                .unwrap()
                .into_inner();
            if d.members_effect == o::MembersEffect::Applied as i32 {
                applied = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(applied, "{backend}: the decision reached members");
        let expelled = MemberServiceClient::new(members[1].clone())
            .get_member(m::GetMemberRequest {
                name: people[3].name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(expelled.status, m::MemberStatus::Expelled as i32);
        let runs: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, attempts FROM jobs WHERE key = $1")
                .bind(expulsion.name.rsplit('/').next().unwrap())
                .fetch_all(stack.oversight.db.pool())
                .await
                .unwrap();
        assert_eq!(runs, [("done".to_string(), 1)], "{backend}: one delivery");
        let events = MemberServiceClient::new(members[0].clone())
            .list_member_events(m::ListMemberEventsRequest {
                member: people[3].name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .events;
        let expulsions = events
            .iter()
            .filter(|e| e.kind == m::MemberEventKind::Expelled as i32)
            .count();
        assert_eq!(expulsions, 1, "{backend}");

        // Each log: one valid chain, the same through either replica,
        // each change in it once (the retries added nothing).
        tokio::time::sleep(Duration::from_millis(300)).await;
        let a = audit_of!(members, members[0].clone());
        let b = audit_of!(members, members[1].clone());
        assert!(a.0 && b.0, "{backend}: members' chain holds");
        assert_eq!(a.2, b.2, "{backend}");
        assert_eq!(
            a.1,
            2 + 6 + 1 + 4 + 1,
            "{backend}: orgs, rename, members, expulsion"
        );
        let a = audit_of!(study, study[0].clone());
        let b = audit_of!(study, study[1].clone());
        assert!(a.0 && b.0, "{backend}: study's chain holds");
        assert_eq!(a.2, b.2, "{backend}");
        assert_eq!(a.1, 4 + 1, "{backend}: documents, retitle");
        let a = audit_of!(oversight, oversight[0].clone());
        let b = audit_of!(oversight, oversight[1].clone());
        assert!(a.0 && b.0, "{backend}: oversight's chain holds");
        assert_eq!(a.2, b.2, "{backend}");
    }
}
