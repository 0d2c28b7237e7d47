//! OrganizationService through the generated client, on every backend.

mod common;

use common::*;
use probity_proto::{
    google::r#type::Date,
    probity::members::v1::{
        CreateOrganizationRequest, GetOrganizationRequest, ListOrganizationsRequest,
        MergeOrganizationsRequest, MoveOrganizationRequest, Organization, OrganizationKind,
        UpdateOrganizationRequest, organization_service_client::OrganizationServiceClient,
    },
};
use prost_types::FieldMask;
use tonic::Code;

async fn codes(orgs: &mut Orgs, parent: &str, subtree: bool, as_of: Option<Date>) -> Vec<String> {
    let mut out: Vec<String> = orgs
        .list_organizations(ListOrganizationsRequest {
            parent: parent.into(),
            include_subtree: subtree,
            as_of,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .organizations
        .into_iter()
        .map(|o| o.code)
        .collect();
    out.sort();
    out
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn create_get_list_and_update() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;

        let got = orgs
            .get_organization(GetOrganizationRequest {
                name: t.a1.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(got, t.a1, "{backend}");
        assert_eq!(got.parent, t.district_a.name);
        assert_eq!(
            got.ancestors,
            vec![t.province.name.clone(), t.district_a.name.clone()]
        );
        assert_eq!(got.display_name, "Tổ chức A1", "diacritics kept");

        assert_eq!(
            codes(&mut orgs, &t.province.name, false, None).await,
            strings(&["HU-A", "HU-B"])
        );
        assert_eq!(
            codes(&mut orgs, &t.province.name, true, None).await,
            strings(&["A1", "A2", "B1", "B2", "HU-A", "HU-B"])
        );
        assert_eq!(
            codes(&mut orgs, &t.district_b.name, true, None).await,
            strings(&["B1", "B2"])
        );
        assert_eq!(codes(&mut orgs, "", false, None).await, strings(&["TU"]));
        assert!(
            codes(&mut orgs, &t.province.name, true, date(2009, 12, 31))
                .await
                .is_empty(),
            "before they existed"
        );

        // Update with a field mask and the current etag.
        let mut changed = t.a1.clone();
        changed.display_name = "Chi bộ Ấp 1".into();
        changed.code = "NOT-IN-MASK".into();
        let mask = || {
            Some(FieldMask {
                paths: vec!["display_name".into()],
            })
        };
        let updated = orgs
            .update_organization(UpdateOrganizationRequest {
                organization: Some(changed.clone()),
                update_mask: mask(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(updated.display_name, "Chi bộ Ấp 1");
        assert_eq!(updated.code, "A1", "code not in the mask");
        assert_ne!(updated.etag, t.a1.etag);

        // The old etag is now stale.
        let err = orgs
            .update_organization(UpdateOrganizationRequest {
                organization: Some(changed),
                update_mask: mask(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Aborted, "{backend}");
        assert_eq!(details(&err).0, "ETAG_MISMATCH");

        // Unknown mask path.
        let err = orgs
            .update_organization(UpdateOrganizationRequest {
                organization: Some(updated.clone()),
                update_mask: Some(FieldMask {
                    paths: vec!["kind".into()],
                }),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(details(&err).1, ["update_mask"]);
    }
}

#[tokio::test]
async fn validation_not_found_and_duplicates() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;

        let err = orgs
            .create_organization(CreateOrganizationRequest {
                organization: Some(Organization {
                    parent: t.province.name.clone(),
                    valid_from: date(2021, 2, 30),
                    ..Default::default()
                }),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{backend}");
        let (reason, mut fields) = details(&err);
        fields.sort();
        assert_eq!(reason, "INVALID_ARGUMENT");
        assert_eq!(
            fields,
            strings(&[
                "organization.code",
                "organization.display_name",
                "organization.kind",
                "organization.valid_from"
            ])
        );

        let err = orgs
            .get_organization(GetOrganizationRequest {
                name: "organizations/0000000000000000000000000000dead".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::NotFound);
        assert_eq!(details(&err).0, "RESOURCE_NOT_FOUND");
        let err = orgs
            .get_organization(GetOrganizationRequest {
                name: "members/abc".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);

        // The code is unique.
        let dup = orgs
            .create_organization(org_request(
                &t.district_b.name,
                "A1",
                OrganizationKind::Cell,
                date(2012, 1, 1),
            ))
            .await
            .unwrap_err();
        assert_eq!(dup.code(), Code::AlreadyExists);
        assert_eq!(details(&dup).0, "ORGANIZATION_CODE_TAKEN");

        // A district cannot sit under a cell.
        let bad = orgs
            .create_organization(org_request(
                &t.a1.name,
                "X",
                OrganizationKind::District,
                date(2012, 1, 1),
            ))
            .await
            .unwrap_err();
        assert_eq!(bad.code(), Code::FailedPrecondition);
        assert_eq!(details(&bad).0, "INVALID_TREE_PLACEMENT");

        // Nothing of the refused requests was written.
        assert_eq!(
            codes(&mut orgs, &t.province.name, true, None).await.len(),
            6
        );
    }
}

#[tokio::test]
async fn retried_create_returns_the_first_result() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let request = CreateOrganizationRequest {
            organization: Some(Organization {
                code: "A3".into(),
                display_name: "Chi bộ 3".into(),
                kind: OrganizationKind::Cell as i32,
                parent: t.district_a.name.clone(),
                valid_from: date(2015, 3, 1),
                ..Default::default()
            }),
            request_id: "6f1c9a1e-retry".into(),
        };
        let first = orgs
            .create_organization(request.clone())
            .await
            .unwrap()
            .into_inner();
        let second = orgs
            .create_organization(request.clone())
            .await
            .unwrap()
            .into_inner();
        assert_eq!(first, second, "{backend}");
        assert_eq!(
            codes(&mut orgs, &t.district_a.name, false, None).await,
            strings(&["A1", "A2", "A3"])
        );

        let mut other = request;
        other.organization.as_mut().unwrap().display_name = "Something else".into();
        let err = orgs.create_organization(other).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(details(&err).1, ["request_id"]);
    }
}

#[tokio::test]
async fn moves_keep_the_old_tree_for_old_dates() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let moved = orgs
            .move_organization(MoveOrganizationRequest {
                name: t.a2.name.clone(),
                new_parent: t.district_b.name.clone(),
                effective_date: date(2020, 6, 1),
                etag: t.a2.etag.clone(),
                request_id: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(moved.parent, t.district_b.name, "{backend}");
        assert_eq!(
            codes(&mut orgs, &t.district_a.name, false, date(2020, 5, 31)).await,
            strings(&["A1", "A2"])
        );
        assert_eq!(
            codes(&mut orgs, &t.district_a.name, false, date(2020, 6, 1)).await,
            strings(&["A1"])
        );
        assert_eq!(
            codes(&mut orgs, &t.district_b.name, true, date(2020, 6, 1)).await,
            strings(&["A2", "B1", "B2"])
        );

        // A district cannot move under its own cell; an earlier date than
        // the last move is out of order; a stale etag is refused.
        let err = orgs
            .move_organization(MoveOrganizationRequest {
                name: t.district_b.name.clone(),
                new_parent: t.b1.name.clone(),
                effective_date: date(2021, 1, 1),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition);
        let err = orgs
            .move_organization(MoveOrganizationRequest {
                name: t.a2.name.clone(),
                new_parent: t.district_b.name.clone(),
                effective_date: date(2019, 1, 1),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(details(&err).0, "EVENT_OUT_OF_ORDER");
        let err = orgs
            .move_organization(MoveOrganizationRequest {
                name: t.a2.name.clone(),
                new_parent: t.district_a.name.clone(),
                effective_date: date(2021, 1, 1),
                etag: t.a2.etag.clone(),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Aborted);
    }
}

#[tokio::test]
async fn merges_keep_the_old_tree_for_old_dates() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        // 2025: the two districts merge into a new one.
        let merged = org(
            &mut orgs,
            &t.province.name,
            "HU-AB",
            OrganizationKind::District,
            date(2025, 7, 1),
        )
        .await;
        let target = orgs
            .merge_organizations(MergeOrganizationsRequest {
                target: merged.name.clone(),
                sources: vec![t.district_a.name.clone(), t.district_b.name.clone()],
                effective_date: date(2025, 7, 1),
                request_id: "merge-2025".into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(target.name, merged.name);

        let before = date(2025, 6, 30);
        let after = date(2025, 7, 1);
        assert_eq!(
            codes(&mut orgs, &t.province.name, false, before).await,
            strings(&["HU-A", "HU-B"]),
            "{backend}"
        );
        assert_eq!(
            codes(&mut orgs, &t.province.name, false, after).await,
            strings(&["HU-AB"])
        );
        assert_eq!(
            codes(&mut orgs, &t.district_a.name, true, before).await,
            strings(&["A1", "A2"])
        );
        assert!(
            codes(&mut orgs, &t.district_a.name, true, after)
                .await
                .is_empty()
        );
        assert_eq!(
            codes(&mut orgs, &merged.name, true, after).await,
            strings(&["A1", "A2", "B1", "B2"])
        );

        let gone = orgs
            .get_organization(GetOrganizationRequest {
                name: t.district_a.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(gone.valid_to, date(2025, 7, 1));
        assert_eq!(gone.merged_into, merged.name);
        // The cells' ancestors are the new district now.
        let a1 = orgs
            .get_organization(GetOrganizationRequest {
                name: t.a1.name.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(a1.parent, merged.name);

        // Merging cells with a district is refused.
        let err = orgs
            .merge_organizations(MergeOrganizationsRequest {
                target: merged.name.clone(),
                sources: vec![t.a1.name.clone()],
                effective_date: date(2025, 8, 1),
                request_id: String::new(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition);
    }
}
