//! MemberService through the generated client, on every backend: create,
//! get, update, search, paging and dated events.

mod common;

use common::*;
use probity_proto::probity::members::v1::{
    GetMemberRequest, ListMemberEventsRequest, ListMembersRequest, Member, MemberEventKind,
    MemberStatus, UpdateMemberRequest, member_service_client::MemberServiceClient,
    organization_service_client::OrganizationServiceClient,
};
use prost_types::FieldMask;
use tonic::Code;

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
        let mut order = Vec::new();
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
                order.push((m.organization.clone(), m.name.clone()));
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
        // Tree order: each cell's members together (the cells in path
        // order), by id within a cell, so that a page costs a page.
        let changes = order.windows(2).filter(|w| w[0].0 != w[1].0).count();
        assert_eq!(
            changes,
            cells.len() - 1,
            "{backend}: grouped by organisation"
        );
        assert!(
            order
                .windows(2)
                .all(|w| w[0].0 != w[1].0 || w[0].1 < w[1].1),
            "{backend}: by id within an organisation"
        );

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
