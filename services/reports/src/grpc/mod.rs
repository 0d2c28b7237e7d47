//! The gRPC adapter: one file per resource holding the tonic service
//! implementation, the request handling (decode, authorize, validate with
//! [`crate::rules`], read the other services through [`crate::peers`]
//! before any write begins, read and write with [`crate::store`] in one
//! write transaction) and the conversion of stored records to the wire.

pub mod access;
pub mod audit;
pub mod compose;
pub mod consistency;
pub mod definitions;
pub mod reports;
pub mod submissions;
mod verify;
