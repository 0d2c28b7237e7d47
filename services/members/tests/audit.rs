//! The audit log through the members service, on every backend: one
//! entry per change, chained; its rows guarded against change; a tampered
//! row found by verify; and a verify that races with appends not reporting
//! a chain broken when it is not (issue 13: it read the entries, then a
//! head that had moved on — 28 of 405 verifies said BROKEN).

mod common;

use common::*;
use probity_proto::probity::members::v1::{
    GetOrganizationRequest, ListAuditEntriesRequest, OrganizationKind, VerifyAuditChainRequest,
    audit_service_client::AuditServiceClient,
    organization_service_client::OrganizationServiceClient,
};
use tonic::Code;

/// The verification `audit` answers.
async fn verify(
    audit: &mut AuditServiceClient<probity_platform::testing::Authed>,
) -> probity_proto::probity::common::v1::AuditChainVerification {
    audit
        .verify_audit_chain(VerifyAuditChainRequest {})
        .await
        .unwrap()
        .into_inner()
        .verification
        .unwrap()
}

#[tokio::test]
async fn verifying_while_writes_go_on_finds_the_chain_intact() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        // Four writers add organisations while the chain is verified again
        // and again.
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let mut orgs = orgs.clone();
                let parent = t.district_a.name.clone();
                tokio::spawn(async move {
                    for i in 0..60 {
                        org(
                            &mut orgs,
                            &parent,
                            &format!("W{w}-{i}"),
                            OrganizationKind::Cell,
                            date(2010, 1, 1),
                        )
                        .await;
                    }
                })
            })
            .collect();
        let mut audit = AuditServiceClient::new(server.admin());
        let mut verified = 0;
        while !writers.iter().all(|w| w.is_finished()) {
            let v = verify(&mut audit).await;
            assert!(v.valid, "{backend}: after {verified} good verifies: {v:?}");
            verified += 1;
        }
        for w in writers {
            w.await.unwrap();
        }
        assert!(verified > 5, "{backend}: only {verified} verifies ran");
    }
}

#[tokio::test]
async fn audit_chain_verifies_and_finds_a_tampered_row() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let mut audit = AuditServiceClient::new(server.admin());

        let entries = audit
            .list_audit_entries(ListAuditEntriesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .entries;
        assert_eq!(
            entries.len(),
            7,
            "{backend}: one entry per created organisation"
        );
        assert_eq!(entries[0].sequence, 1);
        assert_eq!(
            entries[0].method,
            "/probity.members.v1.OrganizationService/CreateOrganization"
        );
        assert_eq!(entries[0].resource, t.province.name);
        assert_eq!(entries[0].caller, "admin");
        assert_eq!(entries[1].prev_hash, entries[0].hash);
        let only_a1 = audit
            .list_audit_entries(ListAuditEntriesRequest {
                resource: t.a1.name.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .entries;
        assert_eq!(only_a1.len(), 1);

        let ok = verify(&mut audit).await;
        assert!(ok.valid, "{backend}: {ok:?}");
        assert_eq!(ok.entries_checked, 7);
        assert_eq!(ok.head_hash, entries[6].hash);

        // A refused write leaves no entry.
        let _ = orgs
            .get_organization(GetOrganizationRequest {
                name: "organizations/nope".into(),
            })
            .await;
        // The service's connections cannot change or remove an entry.
        for refused in [
            "UPDATE audit_log SET caller = 'someone-else' WHERE seq = 4",
            "DELETE FROM audit_log WHERE seq = 7",
        ] {
            let err = sqlx::query(refused)
                .execute(server.db.pool())
                .await
                .unwrap_err();
            assert!(err.to_string().contains("append-only"), "{backend}: {err}");
        }
        // Someone who can drop the guard (the database's owner) can; the
        // chain then shows where.
        let unguard = match backend {
            probity_platform::testing::TestBackend::Sqlite => "DROP TRIGGER audit_log_no_update",
            probity_platform::testing::TestBackend::Postgres(_) => {
                "DROP TRIGGER audit_log_append_only ON audit_log"
            }
        };
        sqlx::query(unguard)
            .execute(server.db.pool())
            .await
            .unwrap();
        sqlx::query("UPDATE audit_log SET caller = 'someone-else' WHERE seq = 4")
            .execute(server.db.pool())
            .await
            .unwrap();
        let bad = verify(&mut audit).await;
        assert!(!bad.valid);
        assert_eq!(bad.first_bad_sequence, 4, "{backend}: {bad:?}");

        // Auditing needs the auditor role.
        let writer = server.token("w", &["writer"], &["*"]);
        let err = AuditServiceClient::new(server.with_token(&writer))
            .verify_audit_chain(VerifyAuditChainRequest {})
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::PermissionDenied);
    }
}
