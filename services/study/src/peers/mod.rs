//! The services study calls. Members is asked through the shared client
//! crate (`probity-members-client`: the [`Members`] trait, its gRPC
//! implementation and the per-scope cache), which oversight uses too;
//! tests give study a fake [`Members`] where members is not the subject.

pub use probity_members_client::{CachedScopes, Members, MembersError, MembersPeer};
