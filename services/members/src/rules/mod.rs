//! Pure rules of member records: validation, state transitions, quotas,
//! thresholds, deadlines. No database and no transport: every function
//! here is tested without either, and takes "today" as an argument.

pub mod books;
pub mod deadlines;
pub mod declarations;
pub mod lifecycle;
pub mod manifestations;
pub mod members;
pub mod names;
pub mod organizations;
#[cfg(test)]
mod properties;
pub mod reviews;
pub mod verification;
pub mod years;
