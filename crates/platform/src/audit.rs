//! The tamper-evident audit log: appending (inside a write transaction),
//! listing and verifying the hash chain.
//!
//! Entry `n` stores `hash = SHA-256(prev_hash ‖ n ‖ time ‖ caller ‖ agency ‖
//! method ‖ resource ‖ request_id)` (fields separated by a newline) where
//! `prev_hash` is entry `n-1`'s hash. Changing any past entry, or removing
//! one, breaks the chain at that entry; [`verify`] names the first.

use probity_proto::probity::common::v1::{AuditChainVerification, AuditEntry};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::{dates, db::Database, error::ApiError, pagination::PageRequest};

/// The hash of "no previous entry".
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields an entry's hash covers.
#[derive(Debug, Clone)]
pub struct EntryFields<'a> {
    /// Sequence number.
    pub seq: i64,
    /// Commit time, microseconds since the epoch.
    pub at_micros: i64,
    /// Caller subject.
    pub caller: &'a str,
    /// Caller agency.
    pub agency: &'a str,
    /// Full method path.
    pub method: &'a str,
    /// Resource name.
    pub resource: &'a str,
    /// Request id.
    pub request_id: &'a str,
}

/// The chained hash of an entry.
pub fn chain_hash(prev_hash: &str, e: &EntryFields<'_>) -> String {
    let mut h = Sha256::new();
    for part in [
        prev_hash,
        &e.seq.to_string(),
        &e.at_micros.to_string(),
        e.caller,
        e.agency,
        e.method,
        e.resource,
        e.request_id,
    ] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// An entry computed by a write, waiting to be stored with the others of
/// its transaction.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub seq: i64,
    pub at_micros: i64,
    pub resource: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Stores a write's entries, all made by `call`'s caller, method and
/// request id, in multi-row inserts. Called by [`crate::write::Write`]
/// inside the write transaction, which moves the chain head when it
/// commits.
pub(crate) async fn append_all(
    conn: &mut AnyConnection,
    call: &crate::call::Call,
    entries: &[Pending],
) -> Result<(), ApiError> {
    crate::bulk::insert_rows(
        conn,
        "INSERT INTO audit_log (seq, at_micros, caller, agency, method, resource, request_id, prev_hash, hash) \
         VALUES {values}",
        9,
        entries,
        |q, e| {
            q.bind(e.seq)
                .bind(e.at_micros)
                .bind(&call.caller.subject)
                .bind(&call.caller.agency)
                .bind(&call.method)
                .bind(&e.resource)
                .bind(&call.request_id)
                .bind(&e.prev_hash)
                .bind(&e.hash)
        },
    )
    .await?;
    Ok(())
}

const COLUMNS: &str =
    "seq, at_micros, caller, agency, method, resource, request_id, prev_hash, hash";

/// One `audit_log` row as stored.
#[derive(sqlx::FromRow)]
struct AuditRow {
    seq: i64,
    at_micros: i64,
    caller: String,
    agency: String,
    method: String,
    resource: String,
    request_id: String,
    prev_hash: String,
    hash: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            sequence: r.seq,
            time: Some(dates::timestamp(r.at_micros)),
            caller: r.caller,
            agency: r.agency,
            method: r.method,
            resource: r.resource,
            request_id: r.request_id,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// Lists entries oldest first, optionally only those about `resource`.
pub async fn list(
    db: &Database,
    resource: &str,
    page: &PageRequest,
) -> Result<(Vec<AuditEntry>, String), ApiError> {
    let after: i64 = page
        .after
        .as_deref()
        .and_then(|k| k.parse().ok())
        .unwrap_or(0);
    let rows: Vec<AuditRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 AND ($2 = '' OR resource = $2) ORDER BY seq LIMIT $3"
    )))
    .bind(after)
    .bind(resource)
    .bind(page.limit())
    .fetch_all(db.pool())
    .await?;
    let mut entries: Vec<AuditEntry> = rows.into_iter().map(AuditEntry::from).collect();
    let token = page.finish(&mut entries, |e| e.sequence.to_string());
    Ok((entries, token))
}

/// The `ListAuditEntries` method every service's `AuditService` has: lists
/// as [`list`] does. Its policy rule (auditor, whole tree) is checked by the
/// gateway: the log spans every organisation.
pub async fn list_for(
    db: &Database,
    call: &crate::Call,
    resource: &str,
    page_size: i32,
    page_token: &str,
) -> Result<(Vec<AuditEntry>, String), ApiError> {
    let page = PageRequest::parse(call, page_size, page_token, resource)?;
    list(db, resource, &page).await
}

/// The `VerifyAuditChain` method every service's `AuditService` has:
/// verifies as [`verify`] does (auditor, whole tree, by the policy).
pub async fn verify_for(db: &Database) -> Result<AuditChainVerification, ApiError> {
    verify(db).await
}

/// Re-computes the whole chain, a thousand entries at a time, and reports
/// the first entry that does not match.
///
/// The head is read first and the chain checked up to it: an entry and the
/// head move together in one transaction, so every entry up to the head
/// read is there to be read, and entries appended meanwhile (after it) are
/// left for the next verify — reading the head last, as before, reported a
/// chain broken whenever a write landed during the verify.
pub async fn verify(db: &Database) -> Result<AuditChainVerification, ApiError> {
    let (head_seq, head_hash): (i64, String) =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(db.pool())
            .await?;
    let mut prev_hash = GENESIS.to_string();
    let mut expected_seq = 1_i64;
    let mut checked = 0_i64;
    let fail = |seq: i64, checked: i64, problem: String, head: &str| AuditChainVerification {
        valid: false,
        entries_checked: checked,
        first_bad_sequence: seq,
        problem,
        head_hash: head.to_string(),
    };
    loop {
        let rows: Vec<AuditRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT 1000"
        )))
        .bind(expected_seq)
        .bind(head_seq)
        .fetch_all(db.pool())
        .await?;
        if rows.is_empty() {
            break;
        }
        for e in rows {
            checked += 1;
            if e.seq != expected_seq {
                return Ok(fail(
                    expected_seq,
                    checked,
                    format!("entry {expected_seq} is missing"),
                    &prev_hash,
                ));
            }
            if e.prev_hash != prev_hash {
                return Ok(fail(
                    e.seq,
                    checked,
                    "link to the previous entry does not match".into(),
                    &prev_hash,
                ));
            }
            let fields = EntryFields {
                seq: e.seq,
                at_micros: e.at_micros,
                caller: &e.caller,
                agency: &e.agency,
                method: &e.method,
                resource: &e.resource,
                request_id: &e.request_id,
            };
            if chain_hash(&prev_hash, &fields) != e.hash {
                return Ok(fail(
                    e.seq,
                    checked,
                    "entry content does not match its hash".into(),
                    &prev_hash,
                ));
            }
            prev_hash = e.hash;
            expected_seq += 1;
        }
    }
    if expected_seq <= head_seq {
        return Ok(fail(
            expected_seq,
            checked,
            format!("entry {expected_seq} is missing (the head is at {head_seq})"),
            &prev_hash,
        ));
    }
    if head_hash != prev_hash {
        return Ok(fail(
            expected_seq,
            checked,
            "the chain head does not match the last entry (entries removed at the end?)".into(),
            &prev_hash,
        ));
    }
    Ok(AuditChainVerification {
        valid: true,
        entries_checked: checked,
        first_bad_sequence: 0,
        problem: String::new(),
        head_hash: prev_hash,
    })
}

/// Implements a service's `AuditService` (its own proto package's copy of
/// the common audit API) over [`list_for`] and [`verify_for`]: every
/// service exposes the same two methods on its own audit log.
///
/// ```ignore
/// probity_platform::audit_service!(probity_proto::probity::study::v1, crate::error::Error);
/// ```
#[macro_export]
macro_rules! audit_service {
    ($package:path, $error:ty) => {
        /// The service's audit log over one database (`AuditService`).
        #[derive(Debug, Clone)]
        pub struct AuditLog {
            db: $crate::Database,
        }

        impl AuditLog {
            /// The service over `db`.
            pub fn new(db: $crate::Database) -> Self {
                Self { db }
            }
        }

        const _: () = {
            use package::{
                ListAuditEntriesRequest, ListAuditEntriesResponse, VerifyAuditChainRequest,
                VerifyAuditChainResponse, audit_service_server::AuditService,
            };
            use $package as package;

            #[tonic::async_trait]
            impl AuditService for AuditLog {
                async fn list_audit_entries(
                    &self,
                    r: tonic::Request<ListAuditEntriesRequest>,
                ) -> Result<tonic::Response<ListAuditEntriesResponse>, tonic::Status> {
                    $crate::unary(r, |call, req: ListAuditEntriesRequest| async move {
                        let (entries, next_page_token) = $crate::audit::list_for(
                            &self.db,
                            &call,
                            &req.resource,
                            req.page_size,
                            &req.page_token,
                        )
                        .await
                        .map_err(<$error>::from)?;
                        Ok::<_, $error>(ListAuditEntriesResponse {
                            entries,
                            next_page_token,
                        })
                    })
                    .await
                }
                async fn verify_audit_chain(
                    &self,
                    r: tonic::Request<VerifyAuditChainRequest>,
                ) -> Result<tonic::Response<VerifyAuditChainResponse>, tonic::Status> {
                    $crate::unary(r, |_call, _req: VerifyAuditChainRequest| async move {
                        let verification = $crate::audit::verify_for(&self.db)
                            .await
                            .map_err(<$error>::from)?;
                        Ok::<_, $error>(VerifyAuditChainResponse {
                            verification: Some(verification),
                        })
                    })
                    .await
                }
            }
        };
    };
}
