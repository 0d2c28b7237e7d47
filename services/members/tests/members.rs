//! MemberService through the generated client, on every backend.

mod common;

use common::*;
use futures::StreamExt;
use probity_proto::probity::members::v1::{
    GetMemberRequest, ListMemberEventsRequest, ListMembersRequest, Member, MemberEventKind,
    MemberStatus, RecordMemberEventRequest, StreamRosterRequest, UpdateMemberRequest,
    member_service_client::MemberServiceClient,
    organization_service_client::OrganizationServiceClient,
};
use prost_types::FieldMask;
use tonic::Code;

fn event(
    member: &Member,
    kind: MemberEventKind,
    when: Option<probity_proto::google::r#type::Date>,
) -> RecordMemberEventRequest {
    RecordMemberEventRequest {
        member: member.name.clone(),
        kind: kind as i32,
        effective_date: when,
        ..Default::default()
    }
}

#[tokio::test]
async fn create_get_update_and_validate() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;

        let created = member(
            &mut members,
            &t.a1.name,
            "01.234.567",
            "  Nguyễn   Văn An ",
            date(2012, 3, 2),
        )
        .await;
        assert_eq!(
            created.full_name, "Nguyễn Văn An",
            "{backend}: tidied, diacritics kept"
        );
        assert_eq!(created.party_card_number, "01234567", "dots removed");
        assert_eq!(created.status, MemberStatus::Probationary as i32);
        assert_eq!(created.organization, t.a1.name);
        let got = members
            .get_member(GetMemberRequest {
                name: created.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got, created);

        // Field violations name every bad field; nothing is written.
        let mut bad = member_request(&t.a1.name, "12ab", "", date(2012, 3, 2));
        bad.member.as_mut().unwrap().date_of_birth = date(2000, 1, 1);
        let err = members.create_member(bad).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        let (_, mut fields) = details(&err);
        fields.sort();
        assert_eq!(
            fields,
            [
                "member.admission_date",
                "member.full_name",
                "member.party_card_number"
            ]
        );

        // The card number is unique.
        let err = members
            .create_member(member_request(
                &t.a2.name,
                "01234567",
                "Trần Thị Bình",
                date(2013, 1, 1),
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::AlreadyExists);
        assert_eq!(details(&err).0, "PARTY_CARD_NUMBER_TAKEN");

        // Members belong to cells, not districts.
        let err = members
            .create_member(member_request(
                &t.district_a.name,
                "7654321",
                "Lê Văn Cường",
                date(2013, 1, 1),
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition);

        // Mark the head of the cell, with the etag.
        let mut head = created.clone();
        head.head_position = "Bí thư chi bộ".into();
        let updated = members
            .update_member(UpdateMemberRequest {
                member: Some(head.clone()),
                update_mask: Some(FieldMask {
                    paths: vec!["head_position".into()],
                }),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(updated.head_position, "Bí thư chi bộ");
        let err = members
            .update_member(UpdateMemberRequest {
                member: Some(head),
                update_mask: Some(FieldMask {
                    paths: vec!["head_position".into()],
                }),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Aborted, "stale etag");
        let listed = members
            .list_members(ListMembersRequest {
                organization: t.a1.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .members;
        assert_eq!(listed, vec![updated], "exactly one member recorded");
    }
}

#[tokio::test]
async fn search_ignores_diacritics() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        member(
            &mut members,
            &t.a1.name,
            "1000001",
            "Nguyễn Văn An",
            date(2012, 1, 1),
        )
        .await;
        member(
            &mut members,
            &t.a2.name,
            "1000002",
            "Nguyễn Văn Anh",
            date(2012, 1, 1),
        )
        .await;
        member(
            &mut members,
            &t.b1.name,
            "1000003",
            "Đặng Thị Ánh",
            date(2012, 1, 1),
        )
        .await;
        member(
            &mut members,
            &t.b1.name,
            "1000004",
            "Trần_Văn%Bình",
            date(2012, 1, 1),
        )
        .await;
        let search = |q: &str| ListMembersRequest {
            organization: t.province.name.clone(),
            include_subtree: true,
            name_query: q.into(),
            ..Default::default()
        };
        let names = |r: Vec<Member>| {
            let mut v: Vec<String> = r.into_iter().map(|m| m.full_name).collect();
            v.sort();
            v
        };
        let found = members
            .list_members(search("nguyen van an"))
            .await
            .unwrap()
            .into_inner()
            .members;
        assert_eq!(
            names(found),
            ["Nguyễn Văn An", "Nguyễn Văn Anh"],
            "{backend}"
        );
        let found = members
            .list_members(search("DANG THI"))
            .await
            .unwrap()
            .into_inner()
            .members;
        assert_eq!(names(found), ["Đặng Thị Ánh"]);
        let found = members
            .list_members(search("anh"))
            .await
            .unwrap()
            .into_inner()
            .members;
        assert_eq!(names(found), ["Nguyễn Văn Anh", "Đặng Thị Ánh"]);
        let found = members
            .list_members(search("_"))
            .await
            .unwrap()
            .into_inner()
            .members;
        assert_eq!(names(found), ["Trần_Văn%Bình"], "wildcards are literal");
    }
}

#[tokio::test]
async fn pages_through_more_than_a_thousand_members() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let cells = [&t.a1, &t.a2, &t.b1, &t.b2];
        let total = 1_050;
        for i in 0..total {
            let cell = &cells[i % cells.len()].name;
            member(
                &mut members,
                cell,
                &format!("{:08}", 20_000_000 + i),
                &format!("Đảng viên {i}"),
                date(2015, 1, 1),
            )
            .await;
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut token = String::new();
        let mut pages = 0;
        loop {
            let page = members
                .list_members(ListMembersRequest {
                    organization: t.province.name.clone(),
                    include_subtree: true,
                    page_size: 100,
                    page_token: token.clone(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            pages += 1;
            assert!(page.members.len() <= 100);
            for m in page.members {
                assert!(seen.insert(m.name), "{backend}: duplicate across pages");
            }
            if page.next_page_token.is_empty() {
                break;
            }
            // A token is bound to its query.
            if pages == 1 {
                let err = members
                    .list_members(ListMembersRequest {
                        organization: t.district_a.name.clone(),
                        include_subtree: true,
                        page_size: 100,
                        page_token: page.next_page_token.clone(),
                        ..Default::default()
                    })
                    .await
                    .unwrap_err();
                assert_eq!(err.code(), Code::InvalidArgument);
                assert_eq!(details(&err).1, ["page_token"]);
            }
            token = page.next_page_token;
        }
        assert_eq!(seen.len(), total, "{backend}: no gap");
        assert_eq!(pages, 11);

        // Sizes: oversized is coerced, negative refused.
        let big = members
            .list_members(ListMembersRequest {
                organization: t.province.name.clone(),
                include_subtree: true,
                page_size: 5_000,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(big.members.len(), 1_000);
        assert!(!big.next_page_token.is_empty());
        let err = members
            .list_members(ListMembersRequest {
                organization: t.a1.name.clone(),
                page_size: -1,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
    }
}

#[tokio::test]
async fn events_follow_the_rules() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let m = member(
            &mut members,
            &t.a1.name,
            "3000001",
            "Phạm Văn Dũng",
            date(2014, 4, 1),
        )
        .await;

        // Exempting a probationary member is refused.
        let err = members
            .record_member_event(event(&m, MemberEventKind::Exempted, date(2014, 6, 1)))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition, "{backend}");
        assert_eq!(details(&err).0, "INVALID_STATUS_TRANSITION");

        let official = members
            .record_member_event(event(&m, MemberEventKind::MadeOfficial, date(2015, 4, 1)))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(official.status, MemberStatus::Official as i32);
        assert_eq!(official.official_date, date(2015, 4, 1));

        // Before the last event: out of order.
        let err = members
            .record_member_event(event(&m, MemberEventKind::Exempted, date(2015, 1, 1)))
            .await
            .unwrap_err();
        assert_eq!(details(&err).0, "EVENT_OUT_OF_ORDER");
        // A transfer needs its target.
        let err = members
            .record_member_event(event(&m, MemberEventKind::Transferred, date(2016, 1, 1)))
            .await
            .unwrap_err();
        assert_eq!(details(&err).1, ["target_organization"]);
        // Stale etag.
        let mut stale = event(&m, MemberEventKind::Exempted, date(2016, 1, 1));
        stale.etag = m.etag.clone();
        assert_eq!(
            members.record_member_event(stale).await.unwrap_err().code(),
            Code::Aborted
        );

        let mut transfer = event(&m, MemberEventKind::Transferred, date(2016, 1, 1));
        transfer.target_organization = t.b1.name.clone();
        transfer.request_id = "transfer-1".into();
        let moved = members
            .record_member_event(transfer.clone())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(moved.organization, t.b1.name);
        // A retry returns the same result and records nothing more.
        assert_eq!(
            members
                .record_member_event(transfer)
                .await
                .unwrap()
                .into_inner(),
            moved
        );

        let dead = members
            .record_member_event(event(&m, MemberEventKind::Deceased, date(2020, 2, 2)))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(dead.status, MemberStatus::Deceased as i32);
        let err = members
            .record_member_event(event(&m, MemberEventKind::Expelled, date(2021, 1, 1)))
            .await
            .unwrap_err();
        assert_eq!(details(&err).0, "INVALID_STATUS_TRANSITION");

        let events = members
            .list_member_events(ListMemberEventsRequest {
                member: m.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .events;
        let kinds: Vec<i32> = events.iter().map(|e| e.kind).collect();
        use MemberEventKind::*;
        assert_eq!(
            kinds,
            vec![
                Admitted as i32,
                MadeOfficial as i32,
                Transferred as i32,
                Deceased as i32
            ]
        );
        assert_eq!(events[2].from_organization, t.a1.name);
        assert_eq!(events[2].to_organization, t.b1.name);
    }
}

async fn roster(
    members: &mut Members,
    org: &str,
    as_of: Option<probity_proto::google::r#type::Date>,
    exclude_exempt: bool,
) -> Vec<(String, i32)> {
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

#[tokio::test]
async fn roster_as_of_a_date_across_transfer_and_exemption() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let mut an = member(&mut members, &t.a1.name, "4000001", "An", date(2010, 5, 1)).await;
        let binh = member(
            &mut members,
            &t.a2.name,
            "4000002",
            "Bình",
            date(2010, 5, 1),
        )
        .await;
        member(
            &mut members,
            &t.b1.name,
            "4000003",
            "Cường",
            date(2010, 5, 1),
        )
        .await;
        an = members
            .record_member_event(event(&an, MemberEventKind::MadeOfficial, date(2011, 5, 1)))
            .await
            .unwrap()
            .into_inner();
        // Bình moves to district B on 2016-11-30; An is exempted from 2017-01-01.
        let mut transfer = event(&binh, MemberEventKind::Transferred, date(2016, 11, 30));
        transfer.target_organization = t.b2.name.clone();
        members.record_member_event(transfer).await.unwrap();
        members
            .record_member_event(event(&an, MemberEventKind::Exempted, date(2017, 1, 1)))
            .await
            .unwrap();

        let p = MemberStatus::Probationary as i32;
        let o = MemberStatus::Official as i32;
        let e = MemberStatus::Exempt as i32;
        let a = &t.district_a.name;
        assert_eq!(
            roster(&mut members, a, date(2016, 11, 29), false).await,
            vec![("An".into(), o), ("Bình".into(), p)],
            "{backend}"
        );
        assert_eq!(
            roster(&mut members, a, date(2016, 11, 30), false).await,
            vec![("An".into(), o)]
        );
        assert_eq!(
            roster(&mut members, a, date(2017, 1, 1), false).await,
            vec![("An".into(), e)]
        );
        assert!(
            roster(&mut members, a, date(2017, 1, 1), true)
                .await
                .is_empty(),
            "exempt excluded"
        );
        assert_eq!(
            roster(&mut members, &t.district_b.name, date(2016, 11, 30), true).await,
            vec![("Bình".into(), p), ("Cường".into(), p)]
        );
        assert!(
            roster(&mut members, a, date(2010, 4, 30), false)
                .await
                .is_empty(),
            "before admission"
        );
        assert_eq!(
            roster(&mut members, &t.province.name, date(2018, 1, 1), true)
                .await
                .len(),
            2
        );

        // The list agrees with the roster, and filters by status.
        let exempt = members
            .list_members(ListMembersRequest {
                organization: t.province.name.clone(),
                include_subtree: true,
                statuses: vec![e],
                as_of: date(2018, 1, 1),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .members;
        assert_eq!(exempt.len(), 1);
        assert_eq!(exempt[0].full_name, "An");
    }
}

#[tokio::test]
async fn merged_cells_carry_their_members() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        member(&mut members, &t.a1.name, "5000001", "An", date(2012, 1, 1)).await;
        member(
            &mut members,
            &t.a2.name,
            "5000002",
            "Bình",
            date(2012, 1, 1),
        )
        .await;
        orgs.merge_organizations(
            probity_proto::probity::members::v1::MergeOrganizationsRequest {
                target: t.a1.name.clone(),
                sources: vec![t.a2.name.clone()],
                effective_date: date(2024, 1, 1),
                request_id: String::new(),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            roster(&mut members, &t.a2.name, date(2023, 12, 31), false)
                .await
                .len(),
            1,
            "{backend}"
        );
        assert!(
            roster(&mut members, &t.a2.name, date(2024, 1, 1), false)
                .await
                .is_empty()
        );
        assert_eq!(
            roster(&mut members, &t.a1.name, date(2024, 1, 1), false)
                .await
                .len(),
            2
        );
        assert_eq!(
            roster(&mut members, &t.a1.name, date(2023, 12, 31), false)
                .await
                .len(),
            1
        );
    }
}

#[tokio::test]
async fn a_member_admitted_long_ago_is_created_official() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let mut members = MemberServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let mut request = member_request(&t.a1.name, "8000001", "Võ Thị Sáu", date(2011, 2, 1));
        request.official_date = date(2012, 2, 1);
        let m = members
            .create_member(request.clone())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(m.status, MemberStatus::Official as i32, "{backend}");
        assert_eq!(m.official_date, date(2012, 2, 1));
        let kinds: Vec<i32> = members
            .list_member_events(ListMemberEventsRequest {
                member: m.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .events
            .iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![
                MemberEventKind::Admitted as i32,
                MemberEventKind::MadeOfficial as i32
            ]
        );
        // Probationary on the first anniversary's eve, official after.
        assert_eq!(
            roster(&mut members, &t.a1.name, date(2012, 1, 31), false).await[0].1,
            MemberStatus::Probationary as i32
        );
        assert_eq!(
            roster(&mut members, &t.a1.name, date(2012, 2, 1), false).await[0].1,
            MemberStatus::Official as i32
        );

        request.official_date = date(2011, 1, 1);
        request.member.as_mut().unwrap().party_card_number = "8000002".into();
        let err = members.create_member(request).await.unwrap_err();
        assert_eq!(details(&err).1, ["official_date"]);
    }
}

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

        // A conflict in the middle rolls back the whole batch.
        let err = members
            .batch_create_members(BatchCreateMembersRequest {
                requests: requests(&["1110004", "1110002"]),
                request_id: String::new(),
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
