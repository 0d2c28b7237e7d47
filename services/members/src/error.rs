//! The members service's errors and their one mapping to `tonic::Status`.

use probity_platform::ApiError;
use tonic::Status;

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
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        Self::Api(err.into())
    }
}

impl From<probity_platform::error::Violation> for Error {
    fn from(v: probity_platform::error::Violation) -> Self {
        Self::Api(ApiError::InvalidArgument(vec![v]))
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        let message = err.to_string();
        match err {
            Error::Api(api) => api,
            Error::CodeTaken(_) => ApiError::AlreadyExists {
                reason: "ORGANIZATION_CODE_TAKEN",
                message,
            },
            Error::CardNumberTaken(_) => ApiError::AlreadyExists {
                reason: "PARTY_CARD_NUMBER_TAKEN",
                message,
            },
            Error::BadPlacement(_) => ApiError::precondition("INVALID_TREE_PLACEMENT", message),
            Error::NotInForce { .. } => {
                ApiError::precondition("ORGANIZATION_NOT_IN_FORCE", message)
            }
            Error::OutOfOrder(_) => ApiError::precondition("EVENT_OUT_OF_ORDER", message),
            Error::Transition { .. } => {
                ApiError::precondition("INVALID_STATUS_TRANSITION", message)
            }
        }
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        ApiError::from(err).into_status(DOMAIN)
    }
}

impl Error {
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

/// Result of the service's internal functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;
