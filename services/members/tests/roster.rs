//! Rosters as of a date through the generated client, on every backend:
//! who belonged where, with which status, across transfers, exemptions and
//! merges.

mod common;

use common::*;
use probity_proto::probity::members::v1::{
    ListMembersRequest, MemberEventKind, MemberStatus, member_service_client::MemberServiceClient,
    organization_service_client::OrganizationServiceClient,
};

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
