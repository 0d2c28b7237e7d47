//! The study service (`probity.study.v1`): the Party and State documents
//! that are studied and cited. Plans, classes, attendance, learning reports
//! and progress (issue #4) come next, on the same crate.
//!
//! [`register`] adds the service to a server; `probity up`, `probity serve
//! study` and the tests all go through it.

pub mod documents;
pub mod error;

use probity_platform::{Database, db::MigrationSet, server::ServerBuilder};
use probity_proto::probity::study::v1::document_service_server::DocumentServiceServer;

/// The service's PostgreSQL schema (and default SQLite file stem).
pub const SCHEMA: &str = "study";

/// The study schema, per backend.
pub const MIGRATIONS: MigrationSet =
    probity_platform::migration_set![(100, "0100_documents.sql", "study: documents")];

/// Adds the study services over `db` to `server`, and `db`'s migrations to
/// its start-up.
pub fn register(server: &mut ServerBuilder, db: Database) -> Result<(), std::convert::Infallible> {
    let limit = server.max_message_bytes();
    server.add_service(
        DocumentServiceServer::new(documents::Documents::new(db.clone()))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
    );
    server.add_database(db, MIGRATIONS);
    Ok(())
}
