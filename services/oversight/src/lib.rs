//! The oversight service (`probity.oversight.v1`): the cases of corruption
//! and negative conduct the Party committee follows — their intake, their
//! stages and the clock of each stage, the agencies' progress reports —
//! the registry of the agencies that handle them, the sectors they are
//! recorded against, inspections, recommendations, disciplinary decisions,
//! and whistleblower reports with their reporters' identities sealed in a
//! vault.
//!
//! The service has the shape every Probity service has:
//! - `grpc`: the adapter, one file per resource;
//! - [`rules`]: pure rules, tested without a database;
//! - `store`: all SQL, one file per resource;
//! - [`peers`]: the members service, as a trait with its gRPC client;
//! - [`error`]: its error enum and the one mapping to `tonic::Status`.
//!
//! Oversight talks to members only through members' gRPC API
//! ([`MembersPeer`]), on behalf of the caller. [`register`] adds the
//! services to a server; `probity up`, `probity serve oversight` and the
//! tests all go through it.

pub mod error;
mod grpc;
pub mod peers;
pub mod policy;
pub mod rules;
mod store;

use std::sync::Arc;

use probity_platform::{Database, db::MigrationSet, jobs::Handlers, server::ServerBuilder};
use probity_proto::probity::oversight::v1::{
    agency_service_server::AgencyServiceServer, audit_service_server::AuditServiceServer,
    case_service_server::CaseServiceServer, discipline_service_server::DisciplineServiceServer,
    inspection_service_server::InspectionServiceServer, job_service_server::JobServiceServer,
    monitoring_service_server::MonitoringServiceServer,
    protection_service_server::ProtectionServiceServer,
    receipt_service_server::ReceiptServiceServer,
    recommendation_service_server::RecommendationServiceServer,
    reference_service_server::ReferenceServiceServer, report_service_server::ReportServiceServer,
    statistics_service_server::StatisticsServiceServer,
};

pub use peers::{Members, MembersPeer};
pub use probity_members_client::{MembersAsService, TokenFile, TokenSource};
pub use probity_platform::vault::{KeyRing, ReceiptHasher};

/// The service's PostgreSQL schema (and default SQLite file stem).
pub const SCHEMA: &str = "oversight";

/// The oversight schema, per backend: every file of `migrations/sqlite` and
/// `migrations/postgres`.
pub static MIGRATIONS: MigrationSet = probity_platform::migration_set!();

/// How oversight is set up beyond its database and members.
#[derive(Debug, Clone)]
pub struct Options {
    /// Oversight's own identity for members (applying disciplinary
    /// decisions); without it, decisions to apply there stay pending.
    pub service: Option<MembersAsService>,
    /// The identity vault's key-encryption keys (from the key file).
    pub vault_keys: KeyRing,
    /// The Argon2id cost of receipt codes.
    pub receipts: ReceiptHasher,
}

impl Options {
    /// No identity for members, a vault key that lives as long as the
    /// process, and receipt hashing at `ReceiptHasher::default`'s cost:
    /// for tests and benchmarks.
    pub fn ephemeral() -> Self {
        Self {
            service: None,
            vault_keys: KeyRing::ephemeral(),
            receipts: ReceiptHasher::default(),
        }
    }
}

/// Adds the oversight services over `db` to `server`, calling members
/// through `members` (a [`MembersPeer`] in deployments) for callers, with
/// [`Options::ephemeral`]. See [`register_with`].
pub fn register(
    server: &mut ServerBuilder,
    db: Database,
    members: impl Members,
) -> Result<(), std::convert::Infallible> {
    register_with(server, db, members, Options::ephemeral())
}

/// Adds the oversight services over `db` to `server`, calling members
/// through `members` for callers and through `options.service` on its own
/// account (applying disciplinary decisions), sealing reporters'
/// identities under `options.vault_keys`; `db`'s migrations to its
/// start-up and its job runner (escalation scans, deliveries, report
/// expiry).
pub fn register_with(
    server: &mut ServerBuilder,
    db: Database,
    members: impl Members,
    options: Options,
) -> Result<(), std::convert::Infallible> {
    let Options {
        service,
        vault_keys,
        receipts,
    } = options;
    let vault = grpc::vault::Vault::new(vault_keys, receipts);
    let members: Arc<dyn Members> = Arc::new(peers::CachedScopes::new(members));
    probity_platform::add_services!(
        server,
        [
            ReferenceServiceServer::new(grpc::reference::Reference::new(db.clone())),
            AgencyServiceServer::new(grpc::agencies::Agencies::new(db.clone())),
            CaseServiceServer::new(grpc::cases::Cases::new(db.clone(), members.clone())),
            MonitoringServiceServer::new(grpc::monitoring::Monitoring::new(
                db.clone(),
                members.clone()
            )),
            DisciplineServiceServer::new(grpc::discipline::Discipline::new(
                db.clone(),
                members.clone()
            )),
            InspectionServiceServer::new(grpc::inspections::Inspections::new(
                db.clone(),
                members.clone()
            )),
            RecommendationServiceServer::new(grpc::recommendations::Recommendations::new(
                db.clone(),
                members.clone()
            )),
            StatisticsServiceServer::new(grpc::statistics::Statistics::new(
                db.clone(),
                members.clone()
            )),
            ReportServiceServer::new(grpc::reports::Reports::new(
                db.clone(),
                members.clone(),
                vault.clone()
            )),
            ProtectionServiceServer::new(grpc::protection::Protection::new(
                db.clone(),
                members,
                vault.clone()
            )),
            ReceiptServiceServer::new(grpc::receipts::Receipts::new(db.clone(), vault)),
            JobServiceServer::new(grpc::jobs::JobApi::new(db.clone())),
            AuditServiceServer::new(grpc::audit::AuditLog::new(db.clone())),
        ]
    );
    server.add_policy(&policy::POLICY);
    server.add_database(db.clone(), &MIGRATIONS);
    let scan = grpc::escalations::Scan::new(server.clock().clone());
    let apply = grpc::delivery::Apply::new(service, server.clock().clone());
    let expire = grpc::retention::Expire::new(server.clock().clone());
    server.add_jobs(
        db,
        Handlers::new()
            .with(rules::monitoring::SCAN_JOB, scan)
            .with(rules::discipline::APPLY_JOB, apply)
            .with(grpc::retention::EXPIRE_JOB, expire),
    );
    Ok(())
}
