//! What other Probity services ask of the members service, over members'
//! public gRPC API only (services never depend on each other's code):
//!
//! - [`Members`], the questions — an organisation, a subtree on a date, a
//!   roster, what a caller's scope covers today — and [`MembersPeer`], their
//!   answer over gRPC, each call made on behalf of the call being served
//!   (the caller's token and request id, a timeout within the caller's
//!   deadline);
//! - [`CachedScopes`], a [`Members`] that keeps each scope's view for a few
//!   seconds;
//! - the pure types of the answers: [`OrgInfo`], [`RosterEntry`],
//!   [`ScopeView`];
//! - [`MembersError`]: members down or refusing, kept apart from a bad
//!   request so each service can say which;
//! - [`MembersAsService`]: the calls a service makes on its own account
//!   (applying a disciplinary decision), with its own token.
//!
//! Study and oversight use it; members itself never does.

pub mod cached;
pub mod names;
pub mod peer;
pub mod scope;
pub mod service;
pub mod tree;

pub use cached::CachedScopes;
pub use peer::{Members, MembersPeer};
pub use scope::ScopeView;
pub use service::{DeliveryError, MembersAsService, TokenFile, TokenSource};
pub use tree::{MemberInfo, OrgInfo, RosterEntry};

use probity_platform::ApiError;

/// What a call to members can end in besides an answer.
#[derive(Debug, thiserror::Error)]
pub enum MembersError {
    /// A bad request (a named organisation members does not show the
    /// caller is a bad field) or a fault.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// Members could not answer in time (down, overloaded, or the caller's
    /// deadline ran out).
    #[error(
        "the members service cannot be reached ({0}); nothing was recorded, retry when it is back"
    )]
    Unavailable(String),
    /// Members refused the forwarded call for the caller.
    #[error("the members service refused: {0}")]
    Refused(String),
}

/// A call to members' result.
pub type Result<T, E = MembersError> = std::result::Result<T, E>;

/// `From<MembersError>` for a calling service's error enum `$error`, which
/// has the variants `Api(ApiError)`, `MembersUnavailable(String)` and
/// `MembersRefused(String)`: each outcome of a call to members kept as
/// what it is, for the service's one mapping to a status.
#[macro_export]
macro_rules! members_error_conversion {
    ($error:ty) => {
        impl From<$crate::MembersError> for $error {
            fn from(err: $crate::MembersError) -> Self {
                match err {
                    $crate::MembersError::Api(api) => Self::Api(api),
                    $crate::MembersError::Unavailable(why) => Self::MembersUnavailable(why),
                    $crate::MembersError::Refused(why) => Self::MembersRefused(why),
                }
            }
        }
    };
}
