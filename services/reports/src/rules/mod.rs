//! The reports service's pure rules: the definitions data file, the calls
//! a report makes and the figures read from their answers, the report put
//! together with its provenance and digest, the check of an issued report
//! against new answers, and its rendering. No database, no transport;
//! "today" is a parameter.

pub mod assemble;
pub mod chart;
pub mod consistency;
pub mod definitions;
pub mod figures;
pub mod format;
pub mod inputs;
pub mod render;
pub mod submissions;
pub mod tallies;
pub mod verify;
