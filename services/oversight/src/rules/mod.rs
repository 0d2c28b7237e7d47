//! The oversight service's pure rules: validation of requests (with field
//! paths), the stages a case may move between, the clock of a stage, the
//! reference data files. No database, no transport; "today" is a
//! parameter.

pub mod agencies;
pub mod cases;
pub mod clock;
pub mod discipline;
pub mod inspections;
pub mod limits;
pub mod monitoring;
pub mod progress;
pub mod recommendations;
pub mod report_decisions;
pub mod report_limits;
pub mod report_statistics;
pub mod reports;
pub mod sectors;
pub mod stages;
pub mod statistics;
pub mod urgings;
