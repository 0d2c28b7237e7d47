//! All of the oversight service's SQL, one module per resource. Rows are
//! read into `#[derive(sqlx::FromRow)]` structs; enum values are bound from
//! the generated enums.

pub mod agencies;
pub mod case_parts;
pub mod cases;
pub mod discipline;
pub mod escalations;
pub mod events;
pub mod inspections;
pub mod limits;
pub mod monitoring;
pub mod progress;
pub mod recommendations;
pub mod reports;
pub mod statistics;
pub mod urgings;
pub mod vault;
