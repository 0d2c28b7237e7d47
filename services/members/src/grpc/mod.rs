//! The gRPC adapter: one file per resource holding the tonic service
//! implementation, the request handling (decode, authorize, validate with
//! [`crate::rules`], read and write with [`crate::store`] in one write
//! transaction) and the conversion of stored rows to the wire.

pub mod access;
pub mod audit;
pub mod books;
pub mod declarations;
pub mod manifestations;
pub mod members;
mod obligation_lists;
pub mod organizations;
pub mod reviews;
mod verification;
