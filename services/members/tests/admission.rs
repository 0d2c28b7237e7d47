//! Batch admission through the generated client, on every backend: up to
//! 1,000 members in one all-or-nothing call.

mod common;

use common::*;
use probity_proto::probity::members::v1::{
    GetMemberRequest, ListMemberEventsRequest, ListMembersRequest, MemberEventKind, MemberStatus,
    member_service_client::MemberServiceClient,
    organization_service_client::OrganizationServiceClient,
};
use tonic::Code;

#[tokio::test]
async fn batch_creates_are_all_or_nothing() {
    use probity_proto::probity::members::v1::{
        BatchCreateMembersRequest, ListAuditEntriesRequest,
        audit_service_client::AuditServiceClient,
    };
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let mut audit = AuditServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let requests = |cards: &[&str]| -> Vec<_> {
            cards
                .iter()
                .enumerate()
                .map(|(i, c)| member_request(&t.a1.name, c, &format!("Lô {i}"), date(2013, 1, 1)))
                .collect()
        };
        let count = |members: &mut Members| {
            let mut members = members.clone();
            let org = t.a1.name.clone();
            async move {
                members
                    .list_members(ListMembersRequest {
                        organization: org,
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .into_inner()
                    .members
                    .len()
            }
        };

        // A bad row is named by its index, and nothing is written.
        let err = members
            .batch_create_members(BatchCreateMembersRequest {
                requests: requests(&["1110001", "12x", "1110003"]),
                request_id: String::new(),
                validate_only: false,
            })
            .await
            .unwrap_err();
        assert_eq!(
            details(&err).1,
            ["requests[1].member.party_card_number"],
            "{backend}"
        );
        assert_eq!(count(&mut members).await, 0);

        // The same card number twice in one batch: the second is named.
        let err = members
            .batch_create_members(BatchCreateMembersRequest {
                requests: requests(&["1110009", "1110009"]),
                request_id: String::new(),
                validate_only: false,
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::AlreadyExists, "{backend}");
        assert!(
            err.message().starts_with("requests[1]:"),
            "{}",
            err.message()
        );
        assert_eq!(count(&mut members).await, 0);

        let mut official = requests(&["1110001", "1110002", "1110003"]);
        official[1].official_date = date(2014, 1, 1);
        let batch = BatchCreateMembersRequest {
            requests: official,
            request_id: "batch-1".into(),
            validate_only: false,
        };
        let created = members
            .batch_create_members(batch.clone())
            .await
            .unwrap()
            .into_inner()
            .members;
        assert_eq!(created.len(), 3);
        assert_eq!(created[2].party_card_number, "1110003", "request order");
        assert_eq!(created[1].status, MemberStatus::Official as i32);
        // What the batch answered is what was stored, history included.
        for m in &created {
            let stored = members
                .get_member(GetMemberRequest {
                    name: m.name.clone(),
                })
                .await
                .unwrap()
                .into_inner();
            assert_eq!(&stored, m, "{backend}");
        }
        let events = members
            .list_member_events(ListMemberEventsRequest {
                member: created[1].name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .events;
        let kinds: Vec<(i32, i32, i32)> = events
            .iter()
            .map(|e| (e.kind, e.from_status, e.to_status))
            .collect();
        assert_eq!(
            kinds,
            [
                (
                    MemberEventKind::Admitted as i32,
                    MemberStatus::Unspecified as i32,
                    MemberStatus::Probationary as i32
                ),
                (
                    MemberEventKind::MadeOfficial as i32,
                    MemberStatus::Probationary as i32,
                    MemberStatus::Official as i32
                )
            ]
        );
        assert_eq!(events[1].effective_date, date(2014, 1, 1));
        assert_eq!(events[1].from_organization, t.a1.name);
        assert_eq!(
            members
                .batch_create_members(batch)
                .await
                .unwrap()
                .into_inner()
                .members,
            created,
            "retry"
        );
        assert_eq!(count(&mut members).await, 3);

        // validate_only answers what a create would, and creates nothing.
        let checked = members
            .batch_create_members(BatchCreateMembersRequest {
                requests: requests(&["1110004", "1110005"]),
                request_id: "dry-1".into(),
                validate_only: true,
            })
            .await
            .unwrap()
            .into_inner()
            .members;
        assert_eq!(checked.len(), 2, "{backend}");
        assert_eq!(checked[1].party_card_number, "1110005");
        assert_eq!(count(&mut members).await, 3, "{backend}: nothing created");
        let err = members
            .batch_create_members(BatchCreateMembersRequest {
                requests: requests(&["1110006", "1110002"]),
                request_id: String::new(),
                validate_only: true,
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::AlreadyExists, "a taken card is found");
        assert!(
            err.message().starts_with("requests[1]:"),
            "{}",
            err.message()
        );
        // Outside the caller's scope a dry run answers as the create does:
        // the organisation is not found, nothing more.
        let scoped = server.with_token(&server.token("clerk", &["writer"], &[&t.b1.name]));
        let dry = |cards: &[&str]| BatchCreateMembersRequest {
            requests: requests(cards),
            request_id: String::new(),
            validate_only: true,
        };
        let outside = MemberServiceClient::new(scoped.clone())
            .batch_create_members(dry(&["1110007"]))
            .await
            .unwrap_err();
        let real = MemberServiceClient::new(scoped)
            .batch_create_members(BatchCreateMembersRequest {
                validate_only: false,
                ..dry(&["1110007"])
            })
            .await
            .unwrap_err();
        assert_eq!(
            (outside.code(), details(&outside).1),
            (real.code(), details(&real).1),
            "{backend}"
        );
        assert_eq!(details(&outside).1, ["requests[0].member.organization"]);

        // A conflict in the middle rolls back the whole batch.
        let err = members
            .batch_create_members(BatchCreateMembersRequest {
                requests: requests(&["1110004", "1110002"]),
                request_id: String::new(),
                validate_only: false,
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::AlreadyExists);
        assert!(
            err.message().starts_with("requests[1]:"),
            "{}",
            err.message()
        );
        assert_eq!(count(&mut members).await, 3);

        // One audit entry per member, and the chain holds.
        let entries = audit
            .list_audit_entries(ListAuditEntriesRequest {
                page_size: 1000,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .entries;
        let batch_entries: Vec<_> = entries
            .iter()
            .filter(|e| e.method.ends_with("BatchCreateMembers"))
            .collect();
        assert_eq!(batch_entries.len(), 3);
        assert!(
            batch_entries
                .iter()
                .all(|e| created.iter().any(|m| m.name == e.resource))
        );
        let v = audit
            .verify_audit_chain(probity_proto::probity::members::v1::VerifyAuditChainRequest {})
            .await
            .unwrap()
            .into_inner()
            .verification
            .unwrap();
        assert!(v.valid, "{v:?}");
    }
}

#[tokio::test]
async fn a_batch_of_bad_rows_answers_a_status_a_client_can_read() {
    use probity_proto::probity::members::v1::BatchCreateMembersRequest;
    use tonic_types::StatusExt;
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        // 1,000 rows, every one with a bad card number: 1,000 violations.
        let requests = (0..1000)
            .map(|i| member_request(&t.a1.name, &format!("{i}x"), "Sai", date(2013, 1, 1)))
            .collect();
        let err = members
            .batch_create_members(BatchCreateMembersRequest {
                requests,
                request_id: String::new(),
                validate_only: false,
            })
            .await
            .unwrap_err();
        // Before the cap the status was ~21 KB and the client saw only a
        // transport error; now it reads the code, reason and violations.
        assert_eq!(err.code(), Code::InvalidArgument, "{backend}: {err:?}");
        let bad = err.get_details_bad_request().expect("BadRequest");
        assert_eq!(
            bad.field_violations.len(),
            probity_platform::error::VIOLATIONS_SHOWN + 1,
            "{backend}"
        );
        assert_eq!(
            bad.field_violations[0].field,
            "requests[0].member.party_card_number"
        );
        let last = bad.field_violations.last().unwrap();
        assert!(
            last.description.starts_with("985 more"),
            "{}",
            last.description
        );
        assert!(err.message().contains("and 997 more"), "{}", err.message());
    }
}
