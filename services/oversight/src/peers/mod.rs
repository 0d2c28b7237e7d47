//! The services oversight calls, as traits with their gRPC clients:
//! members (organisations, members, a caller's scope), from the shared
//! `probity-members-client` crate — oversight never depends on members'
//! code, only on its public API.

pub use probity_members_client::{
    CachedScopes, MemberInfo, Members, MembersError, MembersPeer, OrgInfo, ScopeView,
};
