//! The study service (`probity.study.v1`): the documents studied, study
//! plans with their eligible roster, classes and attendance, learning
//! reports, supervision visits, and plan progress rolled up the
//! organisation tree.
//!
//! The service has the shape every Probity service has:
//! - `grpc`: the adapter, one file per resource;
//! - `rules`: pure rules, tested without a database;
//! - `store`: all SQL, one file per resource;
//! - [`peers`]: the members service, as a trait with its gRPC client;
//! - [`error`]: its error enum and the one mapping to `tonic::Status`.
//!
//! Study talks to members only through members' gRPC API ([`MembersPeer`]),
//! on behalf of the caller. [`register`] adds the services to a server;
//! `probity up`, `probity serve study` and the tests all go through it.

pub mod error;
mod grpc;
pub mod peers;
pub mod policy;
pub mod rules;
mod store;

use std::sync::Arc;

use probity_platform::{Database, db::MigrationSet, server::ServerBuilder};
use probity_proto::probity::study::v1::{
    audit_service_server::AuditServiceServer, class_service_server::ClassServiceServer,
    document_service_server::DocumentServiceServer,
    learning_report_service_server::LearningReportServiceServer,
    plan_service_server::PlanServiceServer, study_record_service_server::StudyRecordServiceServer,
    supervision_service_server::SupervisionServiceServer,
};

pub use peers::{Members, MembersPeer};

/// The service's PostgreSQL schema (and default SQLite file stem).
pub const SCHEMA: &str = "study";

/// The study schema, per backend: every file of `migrations/sqlite` and
/// `migrations/postgres`.
pub static MIGRATIONS: MigrationSet = probity_platform::migration_set!();

/// Adds the study services over `db` to `server`, calling members through
/// `members` (a [`MembersPeer`] in deployments), and `db`'s migrations to
/// its start-up.
pub fn register(
    server: &mut ServerBuilder,
    db: Database,
    members: impl Members,
) -> Result<(), std::convert::Infallible> {
    let members: Arc<dyn Members> = Arc::new(peers::CachedScopes::new(members));
    probity_platform::add_services!(
        server,
        [
            DocumentServiceServer::new(grpc::documents::Documents::new(db.clone())),
            PlanServiceServer::new(grpc::plans::PlanApi::new(db.clone(), members.clone())),
            ClassServiceServer::new(grpc::classes::Classes::new(db.clone(), members.clone())),
            LearningReportServiceServer::new(grpc::reports::Reports::new(
                db.clone(),
                members.clone()
            )),
            SupervisionServiceServer::new(grpc::supervision::Supervision::new(
                db.clone(),
                members.clone()
            )),
            StudyRecordServiceServer::new(grpc::records::StudyRecords::new(db.clone(), members)),
            AuditServiceServer::new(grpc::audit::AuditLog::new(db.clone())),
        ]
    );
    server.add_policy(&policy::POLICY);
    server.add_database(db, &MIGRATIONS);
    Ok(())
}
