//! The members service (`probity.members.v1`): the Party organisation tree
//! with its history, members with their dated status and transfers, the
//! roster other services ask for, and this service's audit log.
//!
//! [`register`] adds the service to a server; `probity up` and
//! `probity serve members` both go through it, and so do the tests.

pub mod audit_api;
pub mod error;
pub mod lifecycle;
pub mod mask;
pub mod members;
pub mod organizations;
pub mod roster;
pub mod tree;

use probity_platform::{
    Database,
    db::{Migration, MigrationSet},
    server::ServerBuilder,
};
use probity_proto::probity::members::v1::{
    audit_service_server::AuditServiceServer, member_service_server::MemberServiceServer,
    organization_service_server::OrganizationServiceServer,
};

/// The service's PostgreSQL schema (and default SQLite file stem).
pub const SCHEMA: &str = "members";

/// The members schema, per backend.
pub const MIGRATIONS: MigrationSet = MigrationSet {
    sqlite: &[Migration {
        version: 100,
        description: "members: organisations, placements, members, periods, events",
        sql: include_str!("../migrations/sqlite/0100_organizations_members.sql"),
    }],
    postgres: &[Migration {
        version: 100,
        description: "members: organisations, placements, members, periods, events",
        sql: include_str!("../migrations/postgres/0100_organizations_members.sql"),
    }],
};

/// Adds the members services over `db` to `server`, and `db`'s migrations
/// to its start-up.
pub fn register(server: &mut ServerBuilder, db: Database) {
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
    server.add_database(db, MIGRATIONS);
}
