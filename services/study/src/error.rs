//! The study service's errors and their one mapping to `tonic::Status`.

use probity_platform::ApiError;
use tonic::Status;

/// The error domain in every `ErrorInfo` this service returns.
pub const DOMAIN: &str = "study.probity";

/// What can go wrong in the study service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A generic API error (validation, not found, scope, database).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A document with this number-symbol is already recorded.
    #[error("document {0} is already recorded")]
    SymbolTaken(String),
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        Self::Api(err.into())
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        let message = err.to_string();
        match err {
            Error::Api(api) => api,
            Error::SymbolTaken(_) => ApiError::AlreadyExists {
                reason: "DOCUMENT_SYMBOL_TAKEN",
                message,
            },
        }
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        ApiError::from(err).into_status(DOMAIN)
    }
}

/// Result of the service's internal functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;
