//! The one way services change data: a [`Write`] is a database transaction
//! that (1) answers a retried request from its idempotency record, and (2)
//! records an audit entry per changed resource, with a digest of the
//! change, and the idempotency record in the same transaction as the
//! change. Nothing every write shares is locked: on PostgreSQL writes run
//! side by side, and the audit sealer orders their entries after they
//! commit ([`crate::audit::sealer`]); on SQLite, which has one writer at a
//! time anyway, writers of one process queue for their turn before they
//! begin ([`Database::writer_turn`]), which avoids snapshot conflicts.

use prost::Message;
use sha2::{Digest, Sha256};
use sqlx::{Any, AnyConnection, Transaction};

use crate::{audit, call::Call, db::Database, error::ApiError};

/// Longest accepted `request_id`.
pub const MAX_REQUEST_ID_LEN: usize = crate::limits::REQUEST_ID;

/// How long a retry is answered from its first response unless the server
/// is configured otherwise: 7 days.
pub const DEFAULT_IDEMPOTENCY_RETENTION: std::time::Duration =
    std::time::Duration::from_secs(7 * 24 * 3600);

/// The oldest `created_micros` still answered at `now_micros`.
fn retained_since(now_micros: i64, retention: std::time::Duration) -> i64 {
    now_micros.saturating_sub(i64::try_from(retention.as_micros()).unwrap_or(i64::MAX))
}

/// Deletes the idempotency records older than `retention`; returns how
/// many.
pub async fn purge_idempotency(
    db: &Database,
    now_micros: i64,
    retention: std::time::Duration,
) -> Result<u64, ApiError> {
    let done = sqlx::query("DELETE FROM idempotency WHERE created_micros < $1")
        .bind(retained_since(now_micros, retention))
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

/// What a retry is answered with.
enum Replay {
    /// The first call's response, as it was sent.
    Response(Vec<u8>),
    /// The resource the first call changed, to be read again through the
    /// authorized path (its response held restricted content).
    Resource(String),
}

/// An open write transaction. Dropping it without [`commit`](Self::commit)
/// rolls everything back.
pub struct Write {
    tx: Transaction<'static, Any>,
    /// The database, whose audit sealer is told when the write commits.
    db: Database,
    call: Call,
    /// Entries made by this write, stored when it commits.
    recorded: Vec<audit::Pending>,
    idempotency: Option<(String, String)>,
    replay: Option<Replay>,
    /// Whether a job was enqueued ([`Write::enqueue`]): the runner is woken
    /// when the write commits.
    pub(crate) jobs_enqueued: bool,
    /// SQLite's writer turn, held until the transaction ends (declared
    /// after `tx`, so it is released after the transaction is dropped).
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

/// Whose retries an idempotency record answers: the agency and the subject
/// together (one agency's `clerk-01` is not another's).
fn idempotency_caller(call: &Call) -> String {
    format!("{}\u{1f}{}", call.caller.agency, call.caller.subject)
}

impl Database {
    /// Begins a write for `call`. `request_id` is the request's idempotency
    /// key (empty for none) and `request` the whole request message, whose
    /// hash tells a true retry from a reuse of the key.
    pub async fn begin_write<M: Message>(
        &self,
        call: &Call,
        request_id: &str,
        request: &M,
    ) -> Result<Write, ApiError> {
        if request_id.len() > MAX_REQUEST_ID_LEN {
            return Err(ApiError::invalid(
                "request_id",
                format!("at most {MAX_REQUEST_ID_LEN} characters"),
            ));
        }
        let turn = self.writer_turn().await;
        let tx = self.begin_writing().await?;
        let mut write = Write {
            tx,
            db: self.clone(),
            call: call.clone(),
            recorded: Vec::new(),
            idempotency: None,
            replay: None,
            jobs_enqueued: false,
            _turn: turn,
        };
        if !request_id.is_empty() {
            let payload_hash: String = Sha256::digest(request.encode_to_vec())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let found: Option<(String, Vec<u8>, String)> = sqlx::query_as(
                "SELECT payload_hash, response, resource FROM idempotency \
                 WHERE caller = $1 AND method = $2 AND request_id = $3 AND created_micros >= $4",
            )
            .bind(idempotency_caller(call))
            .bind(&call.method)
            .bind(request_id)
            .bind(retained_since(
                call.now_micros(),
                call.idempotency_retention,
            ))
            .fetch_optional(&mut *write.tx)
            .await?;
            match found {
                Some((hash, _, _)) if hash != payload_hash => {
                    return Err(ApiError::invalid(
                        "request_id",
                        "was already used for a different request; use a new request_id",
                    ));
                }
                Some((_, _, resource)) if !resource.is_empty() => {
                    write.replay = Some(Replay::Resource(resource))
                }
                Some((_, response, _)) => write.replay = Some(Replay::Response(response)),
                None => write.idempotency = Some((request_id.to_string(), payload_hash)),
            }
        }
        Ok(write)
    }
}

impl Write {
    /// When this request is a retry of one already done: its first
    /// response. The caller should return it and drop the write.
    ///
    /// Only after the handler's scope check ([`Call::authorize`]): a caller
    /// whose scope no longer covers the record (a narrower token, a moved
    /// organisation) is refused, not answered from the record. Asking
    /// before is a bug and fails `INTERNAL`.
    pub fn replayed<R: Message + Default>(&self) -> Result<Option<R>, ApiError> {
        match &self.replay {
            None => Ok(None),
            Some(Replay::Response(bytes)) => {
                self.call.check_authorized()?;
                R::decode(bytes.as_slice())
                    .map(Some)
                    .map_err(|e| ApiError::Internal(format!("stored response: {e}")))
            }
            Some(Replay::Resource(_)) => Err(ApiError::Internal(
                "a restricted write's retry read as a stored response".into(),
            )),
        }
    }

    /// For a write committed with [`commit_restricted`](Self::commit_restricted):
    /// when this request is a retry, the resource the first call changed,
    /// for the handler to read again through its authorized path and
    /// answer with. Only after the handler's scope check, as
    /// [`replayed`](Self::replayed).
    pub fn replayed_resource(&self) -> Result<Option<String>, ApiError> {
        match &self.replay {
            None => Ok(None),
            Some(Replay::Resource(name)) => {
                self.call.check_authorized()?;
                Ok(Some(name.clone()))
            }
            Some(Replay::Response(_)) => Err(ApiError::Internal(
                "a stored response where a restricted write's record was expected".into(),
            )),
        }
    }

    /// The transaction's connection, for the change's own statements.
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// The call this write serves.
    pub fn call(&self) -> &Call {
        &self.call
    }

    /// Records an audit entry for a changed `resource`, whose state as
    /// written is `change` (its digest goes into the entry's hash); stored
    /// with the write's other entries when it commits. [`commit`] records
    /// one for its own resource; batch writes call this for each item and
    /// finish with [`commit_batch`].
    ///
    /// [`commit`]: Self::commit
    /// [`commit_batch`]: Self::commit_batch
    pub fn record<M: Message>(&mut self, resource: &str, change: &M) {
        self.recorded.push(audit::Pending {
            at_micros: self.call.now_micros(),
            resource: resource.to_string(),
            change_digest: audit::change_digest(change),
        });
    }

    /// Records the audit entry for `resource` (the change being
    /// `response`, the resource as written), records `response` for
    /// retries, and commits.
    pub async fn commit<R: Message>(
        mut self,
        resource: &str,
        response: &R,
    ) -> Result<(), ApiError> {
        self.record(resource, response);
        self.commit_batch(response).await
    }

    /// Records the audit entry for `resource` (whose state as written is
    /// `change`; the entry keeps only its SHA-256 digest) and commits,
    /// keeping for retries only the resource's name, not the response: for
    /// writes whose answer holds restricted content (a declaration's
    /// items), which a retry reads again through the authorized path
    /// ([`replayed_resource`](Self::replayed_resource)).
    pub async fn commit_restricted<M: Message>(
        mut self,
        resource: &str,
        change: &M,
    ) -> Result<(), ApiError> {
        self.record(resource, change);
        self.finish(&[], resource).await
    }

    /// Commits a write whose entries were appended with [`record`]
    /// (at least one), recording `response` for retries.
    ///
    /// [`record`]: Self::record
    pub async fn commit_batch<R: Message>(self, response: &R) -> Result<(), ApiError> {
        self.finish(&response.encode_to_vec(), "").await
    }

    /// Stores the entries and the idempotency record (`response`, or
    /// `resource` for a restricted write), commits, and wakes the sealer.
    async fn finish(mut self, response: &[u8], resource: &str) -> Result<(), ApiError> {
        if self.recorded.is_empty() {
            return Err(ApiError::Internal("a write with no audit entry".into()));
        }
        audit::append_all(&mut self.tx, &self.call, &self.recorded).await?;
        if let Some((request_id, payload_hash)) = &self.idempotency {
            sqlx::query(
                "INSERT INTO idempotency (caller, method, request_id, payload_hash, response, created_micros, resource) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (caller, method, request_id) DO UPDATE SET payload_hash = excluded.payload_hash, \
                 response = excluded.response, created_micros = excluded.created_micros, resource = excluded.resource",
            )
            .bind(idempotency_caller(&self.call))
            .bind(&self.call.method)
            .bind(request_id)
            .bind(payload_hash)
            .bind(response)
            .bind(self.call.now_micros())
            .bind(resource)
            .execute(&mut *self.tx)
            .await?;
        }
        self.tx.commit().await?;
        self.db.note_write(&self.call);
        self.db.audit_written();
        if self.jobs_enqueued {
            self.db.jobs_enqueued();
        }
        Ok(())
    }
}
