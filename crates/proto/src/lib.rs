//! Rust code generated from the Probity contract in `proto/`.
//!
//! Messages, clients and servers for every package, plus
//! [`FILE_DESCRIPTOR_SET`], the encoded descriptors that servers register
//! with gRPC reflection. The module tree mirrors the protobuf packages:
//! `probity::members::v1`, `probity::common::v1`, `google::type_`.
#![allow(missing_docs, clippy::all, clippy::pedantic)]

include!(concat!(env!("OUT_DIR"), "/probity_protos.rs"));

/// Encoded `FileDescriptorSet` of every file in `proto/` and its imports,
/// with source info (comments), for the reflection service.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/probity_descriptor.bin"));
