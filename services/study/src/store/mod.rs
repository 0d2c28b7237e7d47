//! Storage: all SQL of the study service, one file per resource, rows
//! read into `sqlx::FromRow` structs or tuples. Every statement is written
//! once for both backends (see `docs/architecture.md`).

pub mod attendance;
pub mod classes;
pub mod documents;
pub mod plans;
pub mod progress;
pub mod records;
pub mod reports;
pub mod rosters;
pub mod supervision;
