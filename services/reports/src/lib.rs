//! The reports service (`probity.reports.v1`): the period reports a
//! committee issues from what the other services recorded — study plans'
//! classes and attendance, members' annual classification, oversight's
//! cases, whistleblower reports and recommendations — each figure with its
//! provenance (service, method, request, field, as-of date, rules applied,
//! digest of the answer), the report stored once with a digest over all of
//! it, checked again on demand, and rendered in Vietnamese or English.
//!
//! The service has the shape every Probity service has:
//! - `grpc`: the adapter, one file per resource;
//! - [`rules`]: pure rules, tested without a database;
//! - `store`: all SQL;
//! - [`peers`]: the services it reads, as traits with their gRPC clients;
//! - [`error`]: its error enum and the one mapping to `tonic::Status`.
//!
//! Reports reads the other services only through their gRPC APIs, on
//! behalf of the caller, and owns only its own schema. [`register`] adds
//! the services to a server; `probity up`, `probity serve reports` and the
//! tests all go through it.

pub mod error;
mod grpc;
pub mod peers;
pub mod policy;
pub mod rules;
mod store;

use std::sync::Arc;

use probity_platform::{Database, db::MigrationSet, server::ServerBuilder};
use probity_proto::probity::reports::v1::{
    audit_service_server::AuditServiceServer, consistency_service_server::ConsistencyServiceServer,
    period_report_service_server::PeriodReportServiceServer,
    report_definition_service_server::ReportDefinitionServiceServer,
    submission_service_server::SubmissionServiceServer,
};

pub use peers::{Members, MembersPeer, Records, Sources, SourcesPeer};

/// The service's PostgreSQL schema (and default SQLite file stem).
pub const SCHEMA: &str = "reports";

/// The reports schema, per backend: every file of `migrations/sqlite` and
/// `migrations/postgres`.
pub static MIGRATIONS: MigrationSet = probity_platform::migration_set!();

/// Adds the reports services over `db` to `server`, reading organisations
/// and scopes through `members` and every figure and record checked
/// through `sources` (a [`SourcesPeer`] in deployments), on behalf of the
/// caller.
pub fn register<S: Sources + Records>(
    server: &mut ServerBuilder,
    db: Database,
    members: impl Members,
    sources: S,
) -> Result<(), std::convert::Infallible> {
    let members: Arc<dyn Members> = Arc::new(peers::CachedScopes::new(members));
    let sources = Arc::new(sources);
    let checker = grpc::consistency::Checker::new(members.clone(), sources.clone());
    let sources: Arc<dyn Sources> = sources;
    let composer = grpc::compose::Composer::new(members.clone(), sources.clone());
    probity_platform::add_services!(
        server,
        [
            ReportDefinitionServiceServer::new(grpc::definitions::DefinitionsApi),
            PeriodReportServiceServer::new(grpc::reports::PeriodReports::new(
                db.clone(),
                members.clone(),
                sources,
                checker.clone()
            )),
            ConsistencyServiceServer::new(grpc::consistency::ConsistencyApi::new(
                members.clone(),
                checker
            )),
            SubmissionServiceServer::new(grpc::submissions::Submissions::new(
                db.clone(),
                members,
                composer
            )),
            AuditServiceServer::new(grpc::audit::AuditLog::new(db.clone())),
        ]
    );
    server.add_policy(&policy::POLICY);
    server.add_database(db, &MIGRATIONS);
    Ok(())
}
