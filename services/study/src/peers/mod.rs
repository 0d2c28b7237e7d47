//! The services study calls, as traits with their gRPC implementations:
//! tests give study a fake members where members is not the subject.

pub mod members;
pub mod scopes;
