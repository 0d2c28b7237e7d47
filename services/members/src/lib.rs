//! The members service (`probity.members.v1`): the Party organisation tree
//! with its history, members with their dated status and transfers, the
//! roster other services ask for, and this service's audit log.
//!
//! [`register`] adds the service to a server; `probity up` and
//! `probity serve members` both go through it, and so do the tests.

mod admission;
pub mod audit_api;
pub mod books;
pub mod declaration_rules;
pub mod declarations;
pub mod error;
pub mod lifecycle;
pub mod manifestations;
pub mod members;
pub mod organizations;
pub mod peers;
pub mod reviews;
pub mod roster;
pub mod tree;

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

/// The members schema, per backend.
pub const MIGRATIONS: MigrationSet = probity_platform::migration_set![
    (
        100,
        "0100_organizations_members.sql",
        "members: organisations, placements, members, periods, events"
    ),
    (
        200,
        "0200_books.sql",
        "members: self-improvement and commitment books"
    ),
    (
        210,
        "0210_register_order.sql",
        "members: registers ordered by organisation, kind and id"
    ),
    (
        300,
        "0300_reviews.sql",
        "members: annual review and classification, dated rules"
    ),
    (
        400,
        "0400_declarations.sql",
        "members: asset and income declarations, dated rules, verification draws"
    ),
    (
        500,
        "0500_id_collation.sql",
        "members: id columns compare in the C collation (PostgreSQL)"
    ),
];

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
    let catalogue = std::sync::Arc::new(
        manifestations::Catalogue::shipped().map_err(SetupError::ReferenceData)?,
    );
    let limit = server.max_message_bytes();
    // Every generated server gets the configured message size limits.
    macro_rules! limited {
        ($server:ident, $service:expr) => {
            $server::new($service)
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit)
        };
    }
    server.add_service(limited!(
        OrganizationServiceServer,
        organizations::Organizations::new(db.clone())
    ));
    server.add_service(limited!(
        MemberServiceServer,
        members::Members::new(db.clone())
    ));
    server.add_service(limited!(
        AuditServiceServer,
        audit_api::AuditLog::new(db.clone())
    ));
    server.add_service(limited!(
        ManifestationServiceServer,
        manifestations::Manifestations::new(db.clone(), catalogue.clone())
    ));
    server.add_service(limited!(
        BookServiceServer,
        books::Books::new(db.clone(), catalogue)
    ));
    server.add_service(limited!(
        ReviewServiceServer,
        reviews::Reviews::new(db.clone(), peers)
    ));
    server.add_service(limited!(
        DeclarationServiceServer,
        declarations::Declarations::new(db.clone())
    ));
    server.add_database(db, MIGRATIONS);
    Ok(())
}
