//! All of the reports service's SQL, one module per resource. Rows are
//! read into `#[derive(sqlx::FromRow)]` structs.

pub mod reports;
pub mod submissions;
