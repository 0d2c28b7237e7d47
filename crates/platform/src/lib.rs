//! What every Probity service shares.
//!
//! - [`db`]: the database (SQLite or PostgreSQL by URL), migrations.
//! - [`bulk`]: many rows per statement (multi-row inserts, `IN` lists).
//! - [`write`]: the write transaction: idempotency, audit entries, commit.
//! - [`audit`]: the audit log: the sealer that chains committed entries,
//!   listing, verifying, signed checkpoints.
//! - [`auth`]: tokens, callers, organisation scope.
//! - [`tls`]: TLS and mutual TLS, the agency of a client certificate.
//! - [`policy`]: roles and each method's rule; the gateway enforces them.
//! - [`gateway`]: the tower layer: request id, tracing, authentication.
//! - [`admission`], [`stream_limits`]: method classes, per-agency rates,
//!   deadlines, limits on streams (what the gateway admits).
//! - [`limits`]: the one table of field limits.
//! - [`logging`]: log output.
//! - [`metrics`]: calls, latency, load shedding, pools and job queues in
//!   Prometheus' text format, on a port of their own.
//! - [`mask`]: field masks of Update methods.
//! - [`server`]: bootstrap: health, reflection, start-up, graceful shutdown.
//! - [`error`]: the API error and its one mapping to `tonic::Status`.
//! - [`pagination`], [`resource`], [`dates`], [`text`], [`symbol`]: request
//!   helpers (document number-symbols in [`symbol`]).
//! - [`call`]: the per-call context handlers read.
//! - [`clock`]: the one source of "now" and "today".
//! - [`tree`]: the process-wide signal that the organisation tree changed.
//! - [`client`]: channels that carry a bearer token, for callers.
//! - [`vault`]: envelope encryption of restricted records under rotatable
//!   keys, and receipt codes stored as slow hashes.

pub mod admission;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod calendar;
pub mod call;
pub mod client;
pub mod clock;
pub mod dated_rules;
pub mod dates;
pub mod db;
pub mod error;
pub mod gateway;
pub mod jobs;
pub mod limits;
pub mod logging;
pub mod mask;
pub mod metrics;
pub mod pagination;
pub mod policy;
pub mod rate;
pub mod replica;
pub mod resource;
pub mod server;
pub mod stream_limits;
pub mod suppression;
pub mod symbol;
pub mod telemetry;
pub mod text;
pub mod tls;
pub mod tree;
pub mod vault;
pub mod write;

pub use call::{Call, unary};
pub use clock::Clock;
pub use db::Database;
pub use error::{ApiError, Violations};
#[cfg(feature = "testing")]
pub mod testing;
