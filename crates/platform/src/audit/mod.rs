//! The tamper-evident audit log: recording (inside a write transaction),
//! sealing, listing, verifying and signed checkpoints.
//!
//! **Writes do not take a shared lock.** A write adds its entries to
//! `audit_pending` in its own transaction ([`crate::write::Write`]). The
//! [`sealer`] — one at a time per service, across replicas, since it alone
//! locks the `audit_head` row — moves committed entries into `audit_log`
//! in order, numbering and chaining them: on PostgreSQL only entries whose
//! transaction id is below the oldest transaction still running (no entry
//! still in flight can come before them), on SQLite every committed entry
//! (writers already take turns there). This is Trillian's sequencer in
//! small: order is given after commit, by one writer, without making every
//! write wait for the others.
//!
//! Entry `n` stores `hash = SHA-256(prev_hash ‖ n ‖ time ‖ caller ‖ agency ‖
//! method ‖ resource ‖ request_id [‖ change_digest])` (each followed by a
//! newline) where `prev_hash` is entry `n-1`'s hash and `change_digest` the
//! SHA-256 of the change as written (absent for entries from before digests
//! were kept). Changing any past entry, or removing one, breaks the chain
//! at that entry; [`verify`] names the first. A [`checkpoint`] signed by the
//! service's key pins a prefix of the log, so that cutting the end off or
//! rewriting an entry and every hash after it is caught too.

pub mod checkpoint;
pub mod sealer;

use probity_proto::probity::common::v1::{AuditChainVerification, AuditEntry};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::{dates, db::Database, error::ApiError, pagination::PageRequest};

/// The hash of "no previous entry".
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How long a listing, a verification or a checkpoint waits for the sealer
/// to reach the entries committed before it; past that it answers with
/// what is sealed (a long transaction elsewhere holds sealing back).
pub const CATCH_UP_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The fields an entry's hash covers.
#[derive(Debug, Clone)]
pub struct EntryFields<'a> {
    /// Sequence number.
    pub seq: i64,
    /// Time of the change, microseconds since the epoch.
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
    /// Hex SHA-256 of the change; empty for entries from before digests.
    pub change_digest: &'a str,
}

impl<'a> From<&'a AuditEntry> for EntryFields<'a> {
    fn from(e: &'a AuditEntry) -> Self {
        EntryFields {
            seq: e.sequence,
            at_micros: e.time.as_ref().and_then(dates::micros_of).unwrap_or(0),
            caller: &e.caller,
            agency: &e.agency,
            method: &e.method,
            resource: &e.resource,
            request_id: &e.request_id,
            change_digest: &e.change_digest,
        }
    }
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The chained hash of an entry.
pub fn chain_hash(prev_hash: &str, e: &EntryFields<'_>) -> String {
    let mut h = Sha256::new();
    let seq = e.seq.to_string();
    let at = e.at_micros.to_string();
    let mut parts = vec![
        prev_hash,
        &seq,
        &at,
        e.caller,
        e.agency,
        e.method,
        e.resource,
        e.request_id,
    ];
    if !e.change_digest.is_empty() {
        parts.push(e.change_digest);
    }
    for part in parts {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    hex(&h.finalize())
}

/// The digest an entry keeps of a change: hex SHA-256 of the protobuf
/// encoding of the message written (prost encodes fields in order, and
/// Probity's messages have no maps, so the encoding is canonical).
pub fn change_digest<M: prost::Message>(change: &M) -> String {
    hex(&Sha256::digest(change.encode_to_vec()))
}

/// An entry recorded by a write, stored with the others of its
/// transaction when it commits.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub at_micros: i64,
    pub resource: String,
    pub change_digest: String,
}

/// Stores a write's entries, all made by `call`'s caller, method and
/// request id, in multi-row inserts, for the sealer. Called by
/// [`crate::write::Write`] inside the write transaction.
pub(crate) async fn append_all(
    conn: &mut AnyConnection,
    call: &crate::call::Call,
    entries: &[Pending],
) -> Result<(), ApiError> {
    crate::bulk::insert_rows(
        conn,
        "INSERT INTO audit_pending (at_micros, caller, agency, method, resource, request_id, change_digest) \
         VALUES {values}",
        7,
        entries,
        |q, e| {
            q.bind(e.at_micros)
                .bind(&call.caller.subject)
                .bind(&call.caller.agency)
                .bind(&call.method)
                .bind(&e.resource)
                .bind(&call.request_id)
                .bind(&e.change_digest)
        },
    )
    .await?;
    Ok(())
}

const COLUMNS: &str =
    "seq, at_micros, caller, agency, method, resource, request_id, prev_hash, hash, change_digest";

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
    change_digest: String,
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
            change_digest: r.change_digest,
        }
    }
}

/// Checks a log entry by entry, oldest first: what [`verify`] does on the
/// server and `probity audit verify --checkpoint` does again on the
/// inspector's side, from listed entries.
#[derive(Debug, Clone)]
pub struct ChainCheck {
    prev_hash: String,
    next_seq: i64,
}

impl Default for ChainCheck {
    fn default() -> Self {
        Self {
            prev_hash: GENESIS.to_string(),
            next_seq: 1,
        }
    }
}

/// Where and why a chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The first entry that does not match (or is missing).
    pub sequence: i64,
    /// What did not match, in words.
    pub problem: String,
}

impl ChainCheck {
    /// Checks the next entry: its place, its link and its hash.
    pub fn push(
        &mut self,
        e: &EntryFields<'_>,
        prev_hash: &str,
        hash: &str,
    ) -> Result<(), ChainBreak> {
        let broken = |sequence, problem: &str| ChainBreak {
            sequence,
            problem: problem.to_string(),
        };
        if e.seq != self.next_seq {
            return Err(ChainBreak {
                sequence: self.next_seq,
                problem: format!("entry {} is missing", self.next_seq),
            });
        }
        if prev_hash != self.prev_hash {
            return Err(broken(e.seq, "link to the previous entry does not match"));
        }
        if chain_hash(&self.prev_hash, e) != hash {
            return Err(broken(e.seq, "entry content does not match its hash"));
        }
        self.prev_hash = hash.to_string();
        self.next_seq += 1;
        Ok(())
    }

    /// Checks a listed entry.
    pub fn push_entry(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        self.push(&EntryFields::from(e), &e.prev_hash, &e.hash)
    }

    /// Entries checked so far.
    pub fn size(&self) -> i64 {
        self.next_seq - 1
    }

    /// The hash of the last entry checked ([`GENESIS`] before any).
    pub fn head(&self) -> &str {
        &self.prev_hash
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
/// as [`list`] does, after waiting (at most [`CATCH_UP_WAIT`]) for the
/// sealer to reach the entries committed before the call. Its policy rule
/// (auditor, whole tree) is checked by the gateway: the log spans every
/// organisation.
pub async fn list_for(
    db: &Database,
    call: &crate::Call,
    resource: &str,
    page_size: i32,
    page_token: &str,
) -> Result<(Vec<AuditEntry>, String), ApiError> {
    let page = PageRequest::parse(call, page_size, page_token, resource)?;
    sealer::catch_up(db, CATCH_UP_WAIT).await?;
    list(db, resource, &page).await
}

/// The `VerifyAuditChain` method every service's `AuditService` has:
/// verifies as [`verify`] does, after the same wait as [`list_for`]
/// (auditor, whole tree, by the policy).
pub async fn verify_for(db: &Database) -> Result<AuditChainVerification, ApiError> {
    sealer::catch_up(db, CATCH_UP_WAIT).await?;
    verify(db).await
}

/// Re-computes the chain of sealed entries, a thousand at a time, and
/// reports the first entry that does not match.
///
/// The head is read first and the chain checked up to it: entries and the
/// head move together in the sealer's transaction, so every entry up to
/// the head read is there to be read, and entries sealed meanwhile (after
/// it) are left for the next verify.
pub async fn verify(db: &Database) -> Result<AuditChainVerification, ApiError> {
    let (head_seq, head_hash) = sealer::head(db).await?;
    let mut check = ChainCheck::default();
    let fail = |check: &ChainCheck, broken: ChainBreak| AuditChainVerification {
        valid: false,
        entries_checked: check.size() + 1,
        first_bad_sequence: broken.sequence,
        problem: broken.problem,
        head_hash: check.head().to_string(),
    };
    loop {
        let rows: Vec<AuditRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT 1000"
        )))
        .bind(check.size() + 1)
        .bind(head_seq)
        .fetch_all(db.pool())
        .await?;
        if rows.is_empty() {
            break;
        }
        for e in rows {
            let fields = EntryFields {
                seq: e.seq,
                at_micros: e.at_micros,
                caller: &e.caller,
                agency: &e.agency,
                method: &e.method,
                resource: &e.resource,
                request_id: &e.request_id,
                change_digest: &e.change_digest,
            };
            if let Err(broken) = check.push(&fields, &e.prev_hash, &e.hash) {
                return Ok(fail(&check, broken));
            }
        }
    }
    if check.size() < head_seq {
        let missing = check.size() + 1;
        return Ok(fail(
            &check,
            ChainBreak {
                sequence: missing,
                problem: format!("entry {missing} is missing (the head is at {head_seq})"),
            },
        ));
    }
    if head_hash != check.head() {
        let after = check.size() + 1;
        return Ok(fail(
            &check,
            ChainBreak {
                sequence: after,
                problem:
                    "the chain head does not match the last entry (entries removed at the end?)"
                        .into(),
            },
        ));
    }
    Ok(AuditChainVerification {
        valid: true,
        entries_checked: check.size(),
        first_bad_sequence: 0,
        problem: String::new(),
        head_hash: check.head().to_string(),
    })
}

/// Implements a service's `AuditService` (its own proto package's copy of
/// the common audit API) over [`list_for`], [`verify_for`] and
/// [`checkpoint::get_for`]: every service exposes the same three methods on
/// its own audit log.
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
                GetAuditCheckpointRequest, GetAuditCheckpointResponse, ListAuditEntriesRequest,
                ListAuditEntriesResponse, VerifyAuditChainRequest, VerifyAuditChainResponse,
                audit_service_server::AuditService,
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
                async fn get_audit_checkpoint(
                    &self,
                    r: tonic::Request<GetAuditCheckpointRequest>,
                ) -> Result<tonic::Response<GetAuditCheckpointResponse>, tonic::Status> {
                    $crate::unary(r, |call, _req: GetAuditCheckpointRequest| async move {
                        let got = $crate::audit::checkpoint::get_for(&self.db, &call)
                            .await
                            .map_err(<$error>::from)?;
                        Ok::<_, $error>(GetAuditCheckpointResponse {
                            checkpoint: Some(got.checkpoint),
                            unsealed_entries: got.unsealed_entries,
                            sealer_lag: Some(got.sealer_lag),
                        })
                    })
                    .await
                }
            }
        };
    };
}
