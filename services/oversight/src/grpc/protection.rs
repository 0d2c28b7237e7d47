//! `probity.oversight.v1.ProtectionService`: reporters' protection files,
//! the one way to reveal a sealed identity (a stated reason, a file entry
//! and audit entries, the identity in the answer only — never stored for
//! retries, never logged), and the re-wrapping of record keys after the
//! vault's key-encryption key is rotated.

use std::sync::Arc;

use probity_platform::{ApiError, Call, Database, dates, resource::parse_name, unary};
use probity_proto::probity::oversight::v1::{
    CreateProtectionEntryRequest, ErrorReason, GetProtectionFileRequest, ProtectionEntry,
    ProtectionEntryKind, ProtectionFile, RevealReporterIdentityRequest,
    RevealReporterIdentityResponse, RewrapIdentitiesRequest, RewrapIdentitiesResponse,
    protection_service_server::ProtectionService,
};
use sqlx::AnyConnection;
use tonic::{Request, Response, Status};

use super::{
    report_view::{check_not_expired, visible_report},
    reports::actor,
    vault::Vault,
};
use crate::{
    error::{Error, Result},
    peers::Members,
    rules::reports as rules,
    store::vault::{self as store, EntryRow},
};

/// Sealed identities re-wrapped per transaction.
const REWRAP_BATCH: i64 = 200;

/// The wire form of a protection file entry.
fn entry(row: &EntryRow) -> Result<ProtectionEntry> {
    Ok(ProtectionEntry {
        name: format!("reports/{}/protection/{}", row.report_id, row.seq),
        kind: row.kind as i32,
        date: Some(dates::sql_to_proto(&row.day)?),
        text: row.text.clone(),
        recorded_by: row.recorded_by.clone(),
        create_time: Some(dates::timestamp(row.create_micros)),
    })
}

/// Adds `row` to its report's file and returns its wire form.
async fn add(conn: &mut AnyConnection, mut row: EntryRow) -> Result<ProtectionEntry> {
    row.seq = store::add_entry(conn, &row).await?;
    entry(&row)
}

/// `ProtectionService` over one database, the members service and the
/// vault.
#[derive(Clone)]
pub struct Protection {
    db: Database,
    members: Arc<dyn Members>,
    vault: Vault,
}

impl std::fmt::Debug for Protection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Protection")
    }
}

impl Protection {
    /// The service over `db`, calling `members`, opening with `vault`.
    pub fn new(db: Database, members: Arc<dyn Members>, vault: Vault) -> Self {
        Self { db, members, vault }
    }

    async fn reveal(
        &self,
        call: Call,
        req: RevealReporterIdentityRequest,
    ) -> Result<RevealReporterIdentityResponse> {
        let reason = rules::reveal_reason(&req.reason)?;
        let view = self.members.scope_view(&call).await?;
        // No idempotency key: every reveal is a reveal, audited, and its
        // answer is never kept.
        let mut w = self.db.begin_write(&call, "", &req).await?;
        let row = visible_report(w.conn(), &call, &view, "name", &req.name).await?;
        let resource = format!("{}/identity", req.name);
        let sealed = store::load(w.conn(), &row.id)
            .await?
            .ok_or_else(|| ApiError::not_found(&resource))?;
        let reporter = self.vault.open(&resource, &sealed)?;
        let recorded = add(
            w.conn(),
            EntryRow {
                report_id: row.id.clone(),
                seq: 0,
                kind: ProtectionEntryKind::Reveal as i64,
                day: dates::to_sql(call.today()),
                text: reason,
                recorded_by: actor(&call),
                create_micros: call.now_micros(),
            },
        )
        .await?;
        w.record(&resource, &recorded);
        w.commit_restricted(&recorded.name, &recorded).await?;
        Ok(RevealReporterIdentityResponse {
            reporter: Some(reporter),
            entry: Some(recorded),
        })
    }

    async fn create_entry(
        &self,
        call: Call,
        req: CreateProtectionEntryRequest,
    ) -> Result<ProtectionEntry> {
        let given = req.entry.clone().unwrap_or_default();
        let kind = ProtectionEntryKind::try_from(given.kind).unwrap_or_default();
        let (day, text) =
            rules::protection_entry(kind, given.date.as_ref(), &given.text, call.today())?;
        let view = self.members.scope_view(&call).await?;
        let mut w = self.db.begin_write(&call, &req.request_id, &req).await?;
        let row = visible_report(w.conn(), &call, &view, "parent", &req.parent).await?;
        if let Some(done) = w.replayed::<ProtectionEntry>()? {
            return Ok(done);
        }
        check_not_expired(&row, &req.parent)?;
        let recorded = add(
            w.conn(),
            EntryRow {
                report_id: row.id.clone(),
                seq: 0,
                kind: kind as i64,
                day: dates::to_sql(day),
                text,
                recorded_by: actor(&call),
                create_micros: call.now_micros(),
            },
        )
        .await?;
        w.commit(&recorded.name, &recorded).await?;
        Ok(recorded)
    }

    async fn file(&self, call: Call, req: GetProtectionFileRequest) -> Result<ProtectionFile> {
        parse_name("report", &req.report, "reports")?;
        let view = self.members.scope_view(&call).await?;
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let row = visible_report(&mut conn, &call, &view, "report", &req.report).await?;
        let entries = store::entries(&mut conn, &row.id).await?;
        Ok(ProtectionFile {
            report: req.report.clone(),
            identity_sealed: store::exists(&mut conn, &row.id).await?,
            entries: entries.iter().map(entry).collect::<Result<_>>()?,
        })
    }

    async fn rewrap(
        &self,
        call: Call,
        req: RewrapIdentitiesRequest,
    ) -> Result<RewrapIdentitiesResponse> {
        call.scoped();
        let keys = self.vault.keys();
        let mut rewrapped = 0;
        let mut after = String::new();
        loop {
            let mut w = self.db.begin_write(&call, "", &req).await?;
            let batch = store::not_under(w.conn(), keys.current(), &after, REWRAP_BATCH).await?;
            let Some((last, _)) = batch.last() else {
                break;
            };
            after = last.clone();
            for (report_id, sealed) in &batch {
                let resource = format!("reports/{report_id}/identity");
                let moved = keys.rewrap(&resource, sealed).map_err(|e| {
                    Error::state(ErrorReason::VaultKeyMissing, format!("{resource}: {e}"))
                })?;
                if let Some(moved) = moved {
                    store::rewrap(w.conn(), report_id, &moved).await?;
                    w.record(&resource, &moved.wrapped_key);
                    rewrapped += 1;
                }
            }
            w.commit_batch(&RewrapIdentitiesResponse::default()).await?;
        }
        let mut conn = self.db.pool().acquire().await.map_err(ApiError::from)?;
        let current = store::count_under(&mut conn, keys.current()).await?;
        Ok(RewrapIdentitiesResponse {
            current_key: keys.current().to_string(),
            rewrapped,
            already_current: current - rewrapped,
        })
    }
}

#[tonic::async_trait]
impl ProtectionService for Protection {
    async fn reveal_reporter_identity(
        &self,
        r: Request<RevealReporterIdentityRequest>,
    ) -> Result<Response<RevealReporterIdentityResponse>, Status> {
        unary(r, |c, m| self.reveal(c, m)).await
    }
    async fn create_protection_entry(
        &self,
        r: Request<CreateProtectionEntryRequest>,
    ) -> Result<Response<ProtectionEntry>, Status> {
        unary(r, |c, m| self.create_entry(c, m)).await
    }
    async fn get_protection_file(
        &self,
        r: Request<GetProtectionFileRequest>,
    ) -> Result<Response<ProtectionFile>, Status> {
        unary(r, |c, m| self.file(c, m)).await
    }
    async fn rewrap_identities(
        &self,
        r: Request<RewrapIdentitiesRequest>,
    ) -> Result<Response<RewrapIdentitiesResponse>, Status> {
        unary(r, |c, m| self.rewrap(c, m)).await
    }
}
