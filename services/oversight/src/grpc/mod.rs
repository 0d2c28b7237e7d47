//! The gRPC adapter: one file per resource holding the tonic service
//! implementation, the request handling (decode, authorize, validate with
//! [`crate::rules`], call members through [`crate::peers`] before any
//! write begins, read and write with [`crate::store`] in one write
//! transaction) and the conversion of stored records to the wire.

pub mod access;
pub mod agencies;
pub mod audit;
pub mod cases;
pub mod delivery;
pub mod discipline;
pub mod escalations;
pub mod inspections;
pub mod jobs;
pub mod monitoring;
mod progress;
pub mod protection;
pub mod receipts;
mod recommendation_urgings;
pub mod recommendations;
pub mod reference;
pub mod report_statistics;
pub mod report_view;
pub mod reports;
pub mod retention;
mod stages;
pub mod statistics;
mod urgings;
pub mod vault;
