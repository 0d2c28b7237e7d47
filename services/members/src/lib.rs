//! The members service (`probity.members.v1`): the Party organisation tree
//! with its history, members with their dated status and transfers, the
//! roster other services ask for, the books, annual reviews, asset
//! declarations, and this service's audit log.
//!
//! The service has the shape every Probity service has:
//! - `grpc`: the adapter, one file per resource;
//! - `rules`: pure rules, tested without a database;
//! - `store`: all SQL, one file per resource;
//! - [`peers`]: the other services it reads from, as traits;
//! - [`error`]: its error enum and the one mapping to `tonic::Status`.
//!
//! [`register`] adds the service to a server; `probity up` and
//! `probity serve members` both go through it, and so do the tests.

pub mod error;
mod grpc;
pub mod peers;
pub mod policy;
mod rules;
mod store;

pub use rules::members::normalize_card;

use std::sync::Arc;

use probity_platform::{Database, db::MigrationSet, server::ServerBuilder};
use probity_proto::probity::members::v1::{
    audit_service_server::AuditServiceServer, book_service_server::BookServiceServer,
    declaration_service_server::DeclarationServiceServer,
    manifestation_service_server::ManifestationServiceServer,
    member_service_server::MemberServiceServer,
    organization_service_server::OrganizationServiceServer,
    review_service_server::ReviewServiceServer,
};

/// The service's PostgreSQL schema (and default SQLite file stem).
pub const SCHEMA: &str = "members";

/// The members schema, per backend: every file of `migrations/sqlite` and
/// `migrations/postgres`.
pub static MIGRATIONS: MigrationSet = probity_platform::migration_set!();

/// Why the service could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The manifestations data file is invalid.
    #[error("{0}")]
    ReferenceData(String),
}

/// Adds the members services over `db` to `server`, and `db`'s migrations
/// to its start-up, with no other service connected. Fails when the
/// reference data shipped with the service is invalid.
pub fn register(server: &mut ServerBuilder, db: Database) -> Result<(), SetupError> {
    register_with(server, db, peers::Peers::default())
}

/// Like [`register`], with the other services it reads from.
pub fn register_with(
    server: &mut ServerBuilder,
    db: Database,
    peers: peers::Peers,
) -> Result<(), SetupError> {
    let catalogue =
        Arc::new(rules::manifestations::Catalogue::shipped().map_err(SetupError::ReferenceData)?);
    probity_platform::add_services!(
        server,
        [
            OrganizationServiceServer::new(grpc::organizations::Organizations::new(db.clone())),
            MemberServiceServer::new(grpc::members::Members::new(db.clone())),
            AuditServiceServer::new(grpc::audit::AuditLog::new(db.clone())),
            ManifestationServiceServer::new(grpc::manifestations::Manifestations::new(
                db.clone(),
                catalogue.clone()
            )),
            BookServiceServer::new(grpc::books::Books::new(db.clone(), catalogue)),
            ReviewServiceServer::new(grpc::reviews::Reviews::new(db.clone(), peers)),
            DeclarationServiceServer::new(grpc::declarations::Declarations::new(db.clone())),
        ]
    );
    server.add_policy(&policy::POLICY);
    server.add_database(db, &MIGRATIONS);
    Ok(())
}
