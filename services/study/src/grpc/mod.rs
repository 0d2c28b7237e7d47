//! The gRPC adapter: one file per resource holding the tonic service
//! implementation, the request handling (decode, authorize, validate with
//! [`crate::rules`], call members through [`crate::peers`] before any write
//! begins, read and write with [`crate::store`] in one write transaction)
//! and the conversion of stored records to the wire.

pub mod access;
mod attendance;
pub mod audit;
pub mod classes;
pub mod documents;
pub mod plans;
mod progress;
pub mod records;
pub mod reports;
pub mod supervision;
