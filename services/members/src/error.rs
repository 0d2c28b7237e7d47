//! The members service's errors and their one mapping to `tonic::Status`.
//!
//! Refusals particular to member records carry a value of the contract's
//! `probity.members.v1.ErrorReason`; the shared ones (bad request, not
//! found, scope, outage) are the platform's [`ApiError`].

use probity_platform::ApiError;
use probity_proto::probity::members::v1::ErrorReason;

/// The error domain in every `ErrorInfo` this service returns.
pub const DOMAIN: &str = "members.probity";

/// What can go wrong in the members service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A generic API error (validation, not found, scope, database).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// An organisation code is already used.
    #[error("organisation code {0:?} is already used")]
    CodeTaken(String),
    /// A party card number is already recorded for another member.
    #[error("party card number {0} is already recorded for another member")]
    CardNumberTaken(String),
    /// The tree rule "a child is below its parent" would be broken.
    #[error("{0}")]
    BadPlacement(String),
    /// An organisation does not exist on the date the request needs it.
    #[error("{what} does not exist on {date}")]
    NotInForce {
        /// Which organisation, by resource name.
        what: String,
        /// The date asked about.
        date: String,
    },
    /// A dated change would come before a later recorded change.
    #[error("{0}")]
    OutOfOrder(String),
    /// An event does not apply to the member's status.
    #[error("a member who is {status} cannot be {event}")]
    Transition {
        /// The member's status, in words.
        status: &'static str,
        /// The event, in words.
        event: &'static str,
    },
    /// The request is valid but the record's state refuses it
    /// (`FAILED_PRECONDITION`).
    #[error("{message}")]
    Refused {
        /// Why, for programs.
        reason: ErrorReason,
        /// Why, for people.
        message: String,
    },
    /// The record the request would create exists already
    /// (`ALREADY_EXISTS`).
    #[error("{message}")]
    Exists {
        /// Which record, for programs.
        reason: ErrorReason,
        /// Which record, for people.
        message: String,
    },
}

impl Error {
    /// A `FAILED_PRECONDITION` refusal with its reason.
    pub fn refused(reason: ErrorReason, message: impl Into<String>) -> Self {
        Self::Refused {
            reason,
            message: message.into(),
        }
    }

    /// An `ALREADY_EXISTS` refusal with its reason.
    pub fn exists(reason: ErrorReason, message: impl Into<String>) -> Self {
        Self::Exists {
            reason,
            message: message.into(),
        }
    }

    /// For nested resources: a "not found" about the parent becomes one
    /// about `name` (so nothing leaks about the parent); every other error —
    /// an outage, a write refused for scope — stays what it is.
    pub fn not_found_as(self, name: &str) -> Self {
        match self {
            Self::Api(ApiError::NotFound { .. }) => ApiError::not_found(name).into(),
            other => other,
        }
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        let message = err.to_string();
        let precondition = |reason: ErrorReason| ApiError::FailedPrecondition {
            reason: reason.as_str_name(),
            message: message.clone(),
        };
        match err {
            Error::Api(api) => api,
            Error::CodeTaken(_) => ApiError::AlreadyExists {
                reason: ErrorReason::OrganizationCodeTaken.as_str_name(),
                message,
            },
            Error::CardNumberTaken(_) => ApiError::AlreadyExists {
                reason: ErrorReason::PartyCardNumberTaken.as_str_name(),
                message,
            },
            Error::BadPlacement(_) => precondition(ErrorReason::InvalidTreePlacement),
            Error::NotInForce { .. } => precondition(ErrorReason::OrganizationNotInForce),
            Error::OutOfOrder(_) => precondition(ErrorReason::EventOutOfOrder),
            Error::Transition { .. } => precondition(ErrorReason::InvalidStatusTransition),
            Error::Refused { reason, .. } => precondition(reason),
            Error::Exists { reason, message } => ApiError::AlreadyExists {
                reason: reason.as_str_name(),
                message,
            },
        }
    }
}

probity_platform::service_error_conversions!(Error, DOMAIN);

/// Result of the service's internal functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;

    #[test]
    fn a_refusal_carries_its_reason_from_the_contract() {
        let api = ApiError::from(Error::refused(ErrorReason::NotAHead, "not a head"));
        assert_eq!(api.code(), Code::FailedPrecondition);
        assert_eq!(api.reason(), ErrorReason::NotAHead.as_str_name());
    }

    #[test]
    fn a_taken_card_number_already_exists() {
        let api = ApiError::from(Error::CardNumberTaken("123456".into()));
        assert_eq!(api.code(), Code::AlreadyExists);
        assert_eq!(
            api.reason(),
            ErrorReason::PartyCardNumberTaken.as_str_name()
        );
    }

    #[test]
    fn a_hidden_parent_is_reported_as_the_child() {
        let e =
            Error::from(ApiError::not_found("members/a")).not_found_as("members/a/reviews/2020");
        assert!(e.to_string().contains("members/a/reviews/2020"));
        let outage = Error::from(ApiError::Unavailable("down".into())).not_found_as("x");
        assert_eq!(ApiError::from(outage).code(), Code::Unavailable);
    }
}
