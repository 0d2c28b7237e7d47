//! Pure rules of study records: validation, completion, lateness and
//! cut-off, make-up expectations, the roll-up and its rounding. No
//! database and no transport: every function here is tested without
//! either, and takes "today" as an argument.

pub mod attendance;
pub mod class_lifecycle;
pub mod classes;
pub mod documents;
pub mod names;
pub mod plans;
pub mod progress;
#[cfg(test)]
mod properties;
pub mod records;
pub mod reports;
pub mod rosters;
pub mod statuses;
pub mod supervision;
