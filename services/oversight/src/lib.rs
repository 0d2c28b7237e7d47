//! The oversight service (`probity.oversight.v1`): the cases of corruption
//! and negative conduct the Party committee follows — their intake, their
//! stages and the clock of each stage, the agencies' progress reports —
//! the registry of the agencies that handle them, and the sectors they are
//! recorded against.
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
    recommendation_service_server::RecommendationServiceServer,
    reference_service_server::ReferenceServiceServer,
    statistics_service_server::StatisticsServiceServer,
};

pub use peers::{Members, MembersPeer};
pub use probity_members_client::{MembersAsService, TokenFile, TokenSource};

/// The service's PostgreSQL schema (and default SQLite file stem).
pub const SCHEMA: &str = "oversight";

/// The oversight schema, per backend: every file of `migrations/sqlite` and
/// `migrations/postgres`.
pub static MIGRATIONS: MigrationSet = probity_platform::migration_set!();

/// Adds the oversight services over `db` to `server`, calling members
/// through `members` (a [`MembersPeer`] in deployments) for callers, with
/// no identity of its own for members: decisions to apply there stay
/// pending. See [`register_with`].
pub fn register(
    server: &mut ServerBuilder,
    db: Database,
    members: impl Members,
) -> Result<(), std::convert::Infallible> {
    register_with(server, db, members, None)
}

/// Adds the oversight services over `db` to `server`, calling members
/// through `members` for callers and through `service` on its own account
/// (applying disciplinary decisions), `db`'s migrations to its start-up and
/// its job runner (escalation scans, deliveries).
pub fn register_with(
    server: &mut ServerBuilder,
    db: Database,
    members: impl Members,
    service: Option<MembersAsService>,
) -> Result<(), std::convert::Infallible> {
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
            StatisticsServiceServer::new(grpc::statistics::Statistics::new(db.clone(), members)),
            JobServiceServer::new(grpc::jobs::JobApi::new(db.clone())),
            AuditServiceServer::new(grpc::audit::AuditLog::new(db.clone())),
        ]
    );
    server.add_policy(&policy::POLICY);
    server.add_database(db.clone(), &MIGRATIONS);
    let scan = grpc::escalations::Scan::new(server.clock().clone());
    let apply = grpc::delivery::Apply::new(service, server.clock().clone());
    server.add_jobs(
        db,
        Handlers::new()
            .with(rules::monitoring::SCAN_JOB, scan)
            .with(rules::discipline::APPLY_JOB, apply),
    );
    Ok(())
}
