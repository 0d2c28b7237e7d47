//! The audit log through the members service, on every backend: one
//! entry per change, chained; its rows guarded against change; a tampered
//! row found by verify; a verify that races with appends not reporting a
//! chain broken when it is not (issue 13: it read the entries, then a head
//! that had moved on — 28 of 405 verifies said BROKEN); signed checkpoints
//! that catch what verify alone cannot (a cut tail, a rewritten and
//! re-hashed log); two replicas writing one log; and the sealer waiting
//! for a transaction still open.

mod common;

use common::*;
use probity_platform::{
    audit::{EntryFields, chain_hash, checkpoint},
    testing::{TestBackend, TestOptions, TestServer},
};
use probity_proto::probity::{
    common::v1::{AuditCheckpoint, AuditEntry},
    members::v1::{
        GetAuditCheckpointRequest, GetOrganizationRequest, ListAuditEntriesRequest,
        OrganizationKind, VerifyAuditChainRequest, audit_service_client::AuditServiceClient,
        organization_service_client::OrganizationServiceClient,
    },
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

type Audit = AuditServiceClient<probity_platform::testing::Authed>;

/// The whole log, oldest first.
async fn all_entries(audit: &mut Audit) -> Vec<AuditEntry> {
    let mut entries = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = audit
            .list_audit_entries(ListAuditEntriesRequest {
                page_size: 1000,
                page_token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        entries.extend(page.entries);
        if page.next_page_token.is_empty() {
            return entries;
        }
        page_token = page.next_page_token;
    }
}

/// A signed checkpoint of the log now.
async fn checkpoint_now(audit: &mut Audit) -> (AuditCheckpoint, i64, std::time::Duration) {
    let got = audit
        .get_audit_checkpoint(GetAuditCheckpointRequest {})
        .await
        .unwrap()
        .into_inner();
    let lag = got.sealer_lag.unwrap_or_default();
    (
        got.checkpoint.unwrap(),
        got.unsealed_entries,
        std::time::Duration::new(lag.seconds as u64, lag.nanos as u32),
    )
}

/// What someone who can drop the append-only guard runs first.
async fn unguard(server: &TestServer) {
    let statements: &[&'static str] = match server.backend {
        TestBackend::Sqlite => &[
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
        ],
        TestBackend::Postgres(_) => &["DROP TRIGGER audit_log_append_only ON audit_log"],
    };
    for statement in statements {
        sqlx::query(*statement)
            .execute(server.db.pool())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_saved_checkpoint_catches_a_rewritten_log_and_a_cut_tail() {
    for backend in backends() {
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let mut audit = AuditServiceClient::new(server.admin());

        let (cp, unsealed, lag) = checkpoint_now(&mut audit).await;
        let entries = all_entries(&mut audit).await;
        assert_eq!(
            (cp.size, unsealed, lag),
            (7, 0, std::time::Duration::ZERO),
            "{backend}"
        );
        assert_eq!(cp.service, server.db.service());
        assert_eq!(cp.head_hash, entries[6].hash, "{backend}");
        assert_eq!(cp.key_id, server.audit_key.as_ref().unwrap().kid());
        assert_eq!(checkpoint::check_signature(&cp), Ok(()));
        // Every entry keeps a digest of the change.
        assert!(
            entries.iter().all(|e| e.change_digest.len() == 64),
            "{backend}"
        );

        for i in 0..3 {
            org(
                &mut orgs,
                &t.district_a.name,
                &format!("L{i}"),
                OrganizationKind::Cell,
                date(2012, 1, 1),
            )
            .await;
        }
        let entries = all_entries(&mut audit).await;
        let held = checkpoint::check_log(&cp, &entries).unwrap();
        assert_eq!(held.entries, 10, "{backend}");

        // Entry 3 rewritten and every hash after it recomputed, head moved:
        // the server's verify passes, the saved checkpoint does not.
        unguard(&server).await;
        let mut prev = entries[1].hash.clone();
        for e in &entries[2..] {
            let mut changed = e.clone();
            if e.sequence == 3 {
                changed.caller = "someone-else".into();
            }
            let hash = chain_hash(&prev, &EntryFields::from(&changed));
            sqlx::query(
                "UPDATE audit_log SET caller = $1, prev_hash = $2, hash = $3 WHERE seq = $4",
            )
            .bind(&changed.caller)
            .bind(&prev)
            .bind(&hash)
            .bind(e.sequence)
            .execute(server.db.pool())
            .await
            .unwrap();
            prev = hash;
        }
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&prev)
            .execute(server.db.pool())
            .await
            .unwrap();
        let v = verify(&mut audit).await;
        assert!(v.valid, "{backend}: the rewrite is self-consistent: {v:?}");
        let err = checkpoint::check_log(&cp, &all_entries(&mut audit).await).unwrap_err();
        assert!(
            err.contains("entry 7 is not the one the checkpoint signed"),
            "{backend}: {err}"
        );

        // The tail cut off and the head moved back: verify passes again,
        // the checkpoint says entries were removed.
        let rewritten = all_entries(&mut audit).await;
        sqlx::query("DELETE FROM audit_log WHERE seq > 5")
            .execute(server.db.pool())
            .await
            .unwrap();
        sqlx::query("UPDATE audit_head SET seq = 5, hash = $1 WHERE id = 1")
            .bind(&rewritten[4].hash)
            .execute(server.db.pool())
            .await
            .unwrap();
        let v = verify(&mut audit).await;
        assert!(v.valid && v.entries_checked == 5, "{backend}: {v:?}");
        let err = checkpoint::check_log(&cp, &all_entries(&mut audit).await).unwrap_err();
        assert!(err.contains("entries were removed"), "{backend}: {err}");
    }
}

#[tokio::test]
async fn a_server_without_an_audit_key_signs_no_checkpoint() {
    for backend in backends() {
        let mut options = TestOptions::new(probity_members::SCHEMA);
        options.audit_key = Some(None);
        let server = TestServer::start(&backend, options, probity_members::register).await;
        let err = AuditServiceClient::new(server.admin())
            .get_audit_checkpoint(GetAuditCheckpointRequest {})
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::FailedPrecondition, "{backend}");
        assert_eq!(details(&err).0, "NO_AUDIT_KEY", "{backend}");
    }
}

#[tokio::test]
async fn entries_written_through_two_replicas_end_in_one_valid_log() {
    for backend in backends() {
        let first = start(&backend).await;
        // The second replica: its own pool on PostgreSQL; on SQLite, which
        // has one writer per file, the same pool (with its own sealer).
        let db = match &backend {
            TestBackend::Sqlite => first.db.clone(),
            TestBackend::Postgres(url) => {
                probity_platform::Database::connect(url, first.db.service(), 4)
                    .await
                    .unwrap()
            }
        };
        let mut options = TestOptions::new(probity_members::SCHEMA);
        options.issuer = Some(first.issuer.clone());
        options.audit_key = Some(first.audit_key.clone());
        options.database = Some(db);
        let second = TestServer::start(&backend, options, probity_members::register).await;

        let t = tree(&mut OrganizationServiceClient::new(first.admin())).await;
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let replica = if w % 2 == 0 { &first } else { &second };
                let mut orgs = OrganizationServiceClient::new(replica.admin());
                let parent = t.district_a.name.clone();
                tokio::spawn(async move {
                    for i in 0..30 {
                        org(
                            &mut orgs,
                            &parent,
                            &format!("R{w}-{i}"),
                            OrganizationKind::Cell,
                            date(2010, 1, 1),
                        )
                        .await;
                    }
                })
            })
            .collect();
        for w in writers {
            w.await.unwrap();
        }
        let mut via_first = AuditServiceClient::new(first.admin());
        let mut via_second = AuditServiceClient::new(second.admin());
        let v = verify(&mut via_second).await;
        assert!(v.valid, "{backend}: {v:?}");
        assert_eq!(v.entries_checked, 7 + 120, "{backend}");
        let entries = all_entries(&mut via_first).await;
        assert_eq!(entries, all_entries(&mut via_second).await, "{backend}");
        let mut resources: Vec<_> = entries.iter().map(|e| &e.resource).collect();
        resources.sort();
        resources.dedup();
        assert_eq!(resources.len(), 127, "{backend}: each change once");
        let (a, _, _) = checkpoint_now(&mut via_first).await;
        let (b, _, _) = checkpoint_now(&mut via_second).await;
        assert_eq!((a.size, &a.head_hash), (b.size, &b.head_hash), "{backend}");
    }
}

#[tokio::test]
async fn an_open_transaction_holds_sealing_back_and_the_lag_shows_it() {
    for backend in backends() {
        if matches!(backend, TestBackend::Sqlite) {
            // One writer at a time: an open write transaction holds every
            // other write back, not only the sealer.
            continue;
        }
        let server = start(&backend).await;
        let mut orgs = OrganizationServiceClient::new(server.admin());
        let t = tree(&mut orgs).await;
        let mut audit = AuditServiceClient::new(server.admin());
        // A write still in progress, which recorded its entry first.
        let mut open = server.db.pool().begin().await.unwrap();
        sqlx::query(
            "INSERT INTO audit_pending (at_micros, caller, agency, method, resource, request_id, change_digest) \
             VALUES (1, 'slow', 'tinh-uy', '/m', 'organizations/slow', '', '')",
        )
        .execute(&mut *open)
        .await
        .unwrap();
        org(
            &mut orgs,
            &t.district_a.name,
            "After",
            OrganizationKind::Cell,
            date(2012, 1, 1),
        )
        .await;
        // The later write is committed but cannot be sealed before the open
        // one ends (it might come first): the checkpoint waits, then says so.
        let (cp, unsealed, lag) = checkpoint_now(&mut audit).await;
        assert_eq!((cp.size, unsealed), (7, 1), "{backend}");
        assert!(lag > std::time::Duration::ZERO, "{backend}");
        open.commit().await.unwrap();
        let entries = all_entries(&mut audit).await;
        assert_eq!(entries.len(), 9, "{backend}");
        assert_eq!(
            entries[7].resource, "organizations/slow",
            "{backend}: in the order recorded"
        );
        assert_eq!(
            entries[8].method,
            "/probity.members.v1.OrganizationService/CreateOrganization"
        );
        assert!(verify(&mut audit).await.valid, "{backend}");
    }
}
