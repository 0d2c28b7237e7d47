//! The study service's errors and their one mapping to `tonic::Status`.
//!
//! Refusals particular to study records carry a value of the contract's
//! `probity.study.v1.ErrorReason`; the shared ones (bad request, not found,
//! scope, outage — the members service's included) are the platform's
//! [`ApiError`].

use probity_platform::ApiError;
use probity_proto::probity::study::v1::ErrorReason;

/// The error domain in every `ErrorInfo` this service returns.
pub const DOMAIN: &str = "study.probity";

/// What can go wrong in the study service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A generic API error (validation, not found, scope, database).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A document or plan with this number-symbol is already recorded.
    #[error("{0} is already recorded")]
    SymbolTaken(String),
    /// The members service could not answer in time (down, overloaded, or
    /// the caller's deadline ran out). Nothing was written.
    #[error(
        "the members service cannot be reached ({0}); nothing was recorded, retry when it is back"
    )]
    MembersUnavailable(String),
    /// The members service refused the forwarded call for the caller.
    #[error("the members service refused: {0}")]
    MembersRefused(String),
    /// The request is valid but the study record's state forbids it
    /// (`FAILED_PRECONDITION`).
    #[error("{message}")]
    State {
        /// Why, for programs.
        reason: ErrorReason,
        /// Why, for people.
        message: String,
    },
}

impl Error {
    /// A `FAILED_PRECONDITION` with its reason.
    pub fn state(reason: ErrorReason, message: impl Into<String>) -> Self {
        Self::State {
            reason,
            message: message.into(),
        }
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        let message = err.to_string();
        match err {
            Error::Api(api) => api,
            Error::SymbolTaken(_) => ApiError::AlreadyExists {
                reason: ErrorReason::SymbolTaken.as_str_name(),
                message,
            },
            Error::MembersUnavailable(_) => ApiError::Unavailable(message),
            Error::MembersRefused(_) => ApiError::PermissionDenied(message),
            Error::State { reason, message } => ApiError::FailedPrecondition {
                reason: reason.as_str_name(),
                message,
            },
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
    fn a_state_refusal_carries_its_reason_from_the_contract() {
        let api = ApiError::from(Error::state(ErrorReason::ClassCancelled, "cancelled"));
        assert_eq!(api.code(), Code::FailedPrecondition);
        assert_eq!(api.reason(), ErrorReason::ClassCancelled.as_str_name());
    }

    #[test]
    fn members_down_is_unavailable_and_says_nothing_was_recorded() {
        let api = ApiError::from(Error::MembersUnavailable("unavailable: x".into()));
        assert_eq!(api.code(), Code::Unavailable);
        assert!(api.to_string().contains("nothing was recorded"));
    }
}
