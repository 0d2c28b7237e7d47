//! The reports service's errors and their one mapping to `tonic::Status`.
//!
//! The reports service has no refusals of its own beyond the shared ones
//! (bad request, not found, scope) and the services it reads being
//! unreachable or refusing the caller: the platform's [`ApiError`].

use probity_platform::ApiError;

/// The error domain in every `ErrorInfo` this service returns.
pub const DOMAIN: &str = "reports.probity";

/// What can go wrong in the reports service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A generic API error (validation, not found, scope, database).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A service a report reads (members, study, oversight) could not
    /// answer. Nothing was stored.
    #[error("{0}; the report was not issued, retry when the service is back")]
    MembersUnavailable(String),
    /// A service a report reads refused the caller.
    #[error("{0}")]
    MembersRefused(String),
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        let message = err.to_string();
        match err {
            Error::Api(api) => api,
            Error::MembersUnavailable(_) => ApiError::Unavailable(message),
            Error::MembersRefused(_) => ApiError::PermissionDenied(message),
        }
    }
}

probity_members_client::members_error_conversion!(Error);
probity_platform::service_error_conversions!(Error, DOMAIN);

/// Result of the service's internal functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;

    #[test]
    fn a_source_down_is_unavailable_and_says_nothing_was_issued() {
        let api = ApiError::from(Error::MembersUnavailable("study cannot be reached".into()));
        assert_eq!(api.code(), Code::Unavailable);
        assert!(api.to_string().contains("not issued"));
    }

    #[test]
    fn a_source_refusing_is_permission_denied() {
        let api = ApiError::from(Error::MembersRefused("oversight refused: no".into()));
        assert_eq!(api.code(), Code::PermissionDenied);
    }
}
