//! Storage: all SQL of the members service, one file per resource, rows
//! read into `sqlx::FromRow` structs. Every statement is written once for
//! both backends (see `docs/architecture.md`).

pub mod books;
pub mod declarations;
pub mod draws;
pub mod history;
pub mod members;
pub mod obligations;
pub mod organizations;
pub mod reviews;
pub mod roster;
