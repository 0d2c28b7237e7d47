//! The members service (`probity.members.v1`): the Party organisation tree
//! with its history, members with their dated status and transfers, the
//! roster other services ask for, and this service's audit log.
//!
//! [`register`] adds the service to a server; `probity up` and
//! `probity serve members` both go through it, and so do the tests.

pub mod audit_api;
pub mod books;
pub mod declaration_rules;
pub mod declarations;
pub mod error;
pub mod lifecycle;
pub mod manifestations;
pub mod mask;
pub mod members;
pub mod organizations;
pub mod peers;
pub mod reviews;
pub mod roster;
pub mod tree;

use probity_platform::{
    Database,
    db::{Migration, MigrationSet},
    server::ServerBuilder,
};
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
pub const MIGRATIONS: MigrationSet = MigrationSet {
    sqlite: &[
        Migration {
            version: 100,
            description: "members: organisations, placements, members, periods, events",
            sql: include_str!("../migrations/sqlite/0100_organizations_members.sql"),
        },
        Migration {
            version: 200,
            description: "members: self-improvement and commitment books",
            sql: include_str!("../migrations/sqlite/0200_books.sql"),
        },
        Migration {
            version: 210,
            description: "members: registers ordered by organisation, kind and id",
            sql: include_str!("../migrations/sqlite/0210_register_order.sql"),
        },
        Migration {
            version: 300,
            description: "members: annual review and classification, dated rules",
            sql: include_str!("../migrations/sqlite/0300_reviews.sql"),
        },
        Migration {
            version: 400,
            description: "members: asset and income declarations, dated rules, verification draws",
            sql: include_str!("../migrations/sqlite/0400_declarations.sql"),
        },
    ],
    postgres: &[
        Migration {
            version: 100,
            description: "members: organisations, placements, members, periods, events",
            sql: include_str!("../migrations/postgres/0100_organizations_members.sql"),
        },
        Migration {
            version: 200,
            description: "members: self-improvement and commitment books",
            sql: include_str!("../migrations/postgres/0200_books.sql"),
        },
        Migration {
            version: 210,
            description: "members: registers ordered by organisation, kind and id",
            sql: include_str!("../migrations/postgres/0210_register_order.sql"),
        },
        Migration {
            version: 300,
            description: "members: annual review and classification, dated rules",
            sql: include_str!("../migrations/postgres/0300_reviews.sql"),
        },
        Migration {
            version: 400,
            description: "members: asset and income declarations, dated rules, verification draws",
            sql: include_str!("../migrations/postgres/0400_declarations.sql"),
        },
    ],
};

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
    server.add_service(
        OrganizationServiceServer::new(organizations::Organizations::new(db.clone()))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
    );
    server.add_service(
        MemberServiceServer::new(members::Members::new(db.clone()))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
    );
    server.add_service(
        AuditServiceServer::new(audit_api::AuditLog::new(db.clone()))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
    );
    server.add_service(
        ManifestationServiceServer::new(manifestations::Manifestations::new(
            db.clone(),
            catalogue.clone(),
        ))
        .max_decoding_message_size(limit)
        .max_encoding_message_size(limit),
    );
    server.add_service(
        BookServiceServer::new(books::Books::new(db.clone(), catalogue))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
    );
    server.add_service(
        ReviewServiceServer::new(reviews::Reviews::new(db.clone(), peers))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
    );
    server.add_service(
        DeclarationServiceServer::new(declarations::Declarations::new(db.clone()))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
    );
    server.add_database(db, MIGRATIONS);
    Ok(())
}
