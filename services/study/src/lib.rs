//! The study service (`probity.study.v1`): the documents studied, study
//! plans with their eligible roster, classes and attendance, learning
//! reports, supervision visits, and plan progress rolled up the
//! organisation tree.
//!
//! Study talks to members only through members' gRPC API ([`members`]),
//! on behalf of the caller. [`register`] adds the services to a server;
//! `probity up`, `probity serve study` and the tests all go through it.

pub mod api;
pub mod attendance;
pub mod audit_api;
pub mod class_record;
pub mod classes;
pub mod documents;
pub mod error;
pub mod members;
pub mod plan_record;
pub mod plans;
pub mod progress;
pub mod reports;
pub mod snapshot;
pub mod supervision;

use probity_platform::{Database, db::MigrationSet, server::ServerBuilder};
use probity_proto::probity::study::v1::{
    audit_service_server::AuditServiceServer, class_service_server::ClassServiceServer,
    document_service_server::DocumentServiceServer,
    learning_report_service_server::LearningReportServiceServer,
    plan_service_server::PlanServiceServer, supervision_service_server::SupervisionServiceServer,
};

pub use members::MembersPeer;

/// The service's PostgreSQL schema (and default SQLite file stem).
pub const SCHEMA: &str = "study";

/// The study schema, per backend.
pub const MIGRATIONS: MigrationSet = probity_platform::migration_set![
    (100, "0100_documents.sql", "study: documents"),
    (
        200,
        "0200_plans.sql",
        "study: plans, classes, attendance, reports, supervision"
    ),
];

/// Adds the study services over `db` to `server`, calling members at
/// `members`, and `db`'s migrations to its start-up.
pub fn register(
    server: &mut ServerBuilder,
    db: Database,
    members: MembersPeer,
) -> Result<(), std::convert::Infallible> {
    let limit = server.max_message_bytes();
    macro_rules! add {
        ($server:ident, $svc:expr) => {
            server.add_service(
                $server::new($svc)
                    .max_decoding_message_size(limit)
                    .max_encoding_message_size(limit),
            )
        };
    }
    add!(DocumentServiceServer, documents::Documents::new(db.clone()));
    add!(
        PlanServiceServer,
        api::PlanApi {
            plans: plans::Plans::new(db.clone(), members.clone()),
            progress: progress::Progress::new(db.clone()),
        }
    );
    add!(
        ClassServiceServer,
        classes::Classes::new(db.clone(), members.clone())
    );
    add!(
        LearningReportServiceServer,
        reports::Reports::new(db.clone())
    );
    add!(
        SupervisionServiceServer,
        supervision::Supervision::new(db.clone(), members)
    );
    add!(AuditServiceServer, audit_api::AuditLog::new(db.clone()));
    server.add_database(db, MIGRATIONS);
    Ok(())
}
