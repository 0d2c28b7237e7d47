//! The error every Probity handler returns, and its one mapping to
//! [`tonic::Status`] with rich details (AIP-193).
//!
//! Every status carries an `ErrorInfo` (a stable UPPER_SNAKE `reason` and
//! the service's `domain`); `INVALID_ARGUMENT` also carries `BadRequest`
//! field violations. Messages never contain SQL, file paths or other
//! internals: those go to the log only.

use probity_proto::probity::common::v1::ErrorReason;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// One problem with one field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Dotted path of the field in the request, e.g. `member.full_name`.
    pub field: String,
    /// What is wrong, for a person to read.
    pub description: String,
}

impl Violation {
    /// A violation of `field`, described by `description`.
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// Collects field violations while a request is validated.
#[derive(Debug, Default)]
pub struct Violations(Vec<Violation>);

impl Violations {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a violation.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(Violation::new(field, description));
    }

    /// Records a violation when `bad` holds.
    pub fn check(&mut self, bad: bool, field: &str, description: &str) {
        if bad {
            self.add(field, description);
        }
    }

    /// Records a violation of `field` when `text` holds a character no
    /// name may hold ([`crate::text::forbidden`]).
    pub fn check_name_chars(&mut self, field: &str, text: &str) {
        if let Err(why) = crate::text::name(text) {
            self.add(field, why);
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was recorded, else an `INVALID_ARGUMENT` error
    /// carrying every violation.
    pub fn into_result(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::InvalidArgument(self.0))
        }
    }
}

/// The errors a Probity API can answer with. Each service has its own
/// domain error enum that converts into this one; this is where codes,
/// reasons and details are decided.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed: one or more fields are invalid.
    #[error("invalid request: {}", describe(.0))]
    InvalidArgument(Vec<Violation>),
    /// The named resource does not exist, or the caller may not see it.
    #[error("{resource} not found")]
    NotFound {
        /// The resource name asked for.
        resource: String,
    },
    /// A resource with the same unique key already exists.
    #[error("{message}")]
    AlreadyExists {
        /// Stable reason, e.g. `PARTY_CARD_NUMBER_TAKEN`: the name of a value
        /// of the service's `ErrorReason` enum (`as_str_name()`).
        reason: &'static str,
        /// For a person to read.
        message: String,
    },
    /// The request is valid but the system is not in a state that allows it.
    #[error("{message}")]
    FailedPrecondition {
        /// Stable reason, e.g. `EVENT_OUT_OF_ORDER`: the name of a value of
        /// the service's `ErrorReason` enum (`as_str_name()`).
        reason: &'static str,
        /// For a person to read.
        message: String,
    },
    /// The etag sent does not match the resource's current one.
    #[error(
        "{resource} was changed by someone else (etag {sent} is stale, current is {current}); read it again and retry"
    )]
    StaleEtag {
        /// The resource name.
        resource: String,
        /// The etag the client sent.
        sent: String,
        /// The current etag.
        current: String,
    },
    /// No valid credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// Valid credentials, but the record's organisation is outside the
    /// caller's scope for this change (the record itself is visible).
    #[error("{0}")]
    PermissionDenied(String),
    /// Valid credentials without a role the method needs (or without the
    /// whole-tree scope it needs); decided before any data is read.
    #[error("{0}")]
    MissingRole(String),
    /// A dependency (the database, another service) cannot be reached now,
    /// or the server is starting or stopping. The text is shown to the
    /// caller: no internals.
    #[error("{0}")]
    Unavailable(String),
    /// The server is at its limit of calls in progress; retry after the
    /// delay.
    #[error("the server is at its limit of calls in progress; retry in {}s", .0.as_secs().max(1))]
    Overloaded(std::time::Duration),
    /// The caller's rate of calls of this kind is used up — an agency's,
    /// or for calls without a token a source address's or a receipt
    /// code's; retry after the delay.
    #[error("the rate of {class} calls allowed to you is used up for now; retry in {}s", .1.as_secs().max(1), class = .0)]
    RateLimited(&'static str, std::time::Duration),
    /// A client stream passed a limit of messages or bytes.
    #[error("{0}")]
    StreamLimit(String),
    /// The call ran past its deadline, or its client stream went idle.
    #[error("{0}")]
    DeadlinePassed(String),
    /// A bug or an unexpected failure; details are only logged.
    #[error("internal error")]
    Internal(String),
    /// The method's service is not run by this server; the message names
    /// those it runs.
    #[error("{0}")]
    ServedElsewhere(String),
}

/// Field violations one status carries in its `BadRequest`; the rest are
/// counted in one more, whose field is empty. With fields and descriptions
/// cut at [`VIOLATION_BYTES`], a status of any request fits the 16 KiB
/// that gRPC clients accept for headers, in any script (a batch of 1,000
/// bad rows made 21 KB before, which no client could read): at most about
/// 8 KB of `BadRequest` (base64) and 3.6 KB of message (percent-encoded).
pub const VIOLATIONS_SHOWN: usize = 15;
/// Bytes (UTF-8) of a violation's field or description that a status
/// shows; longer ones are cut at a character boundary and end in `…`.
pub const VIOLATION_BYTES: usize = 200;
/// Violations the status message names (the `BadRequest` lists up to
/// [`VIOLATIONS_SHOWN`]).
const VIOLATIONS_IN_MESSAGE: usize = 3;

/// `text` cut to at most [`VIOLATION_BYTES`] bytes at a character
/// boundary, with `…` when cut.
fn clip(text: &str) -> String {
    if text.len() <= VIOLATION_BYTES {
        return text.to_string();
    }
    let mut at = VIOLATION_BYTES;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    format!("{}…", &text[..at])
}

/// The violations a status shows: the first [`VIOLATIONS_SHOWN`], clipped,
/// and one that counts the others.
fn shown(violations: &[Violation]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = violations
        .iter()
        .take(VIOLATIONS_SHOWN)
        .map(|v| (clip(&v.field), clip(&v.description)))
        .collect();
    if violations.len() > VIOLATIONS_SHOWN {
        out.push((
            String::new(),
            format!(
                "{} more violations not shown; correct these and send the request again",
                violations.len() - VIOLATIONS_SHOWN
            ),
        ));
    }
    out
}

fn describe(violations: &[Violation]) -> String {
    let mut text = violations
        .iter()
        .take(VIOLATIONS_IN_MESSAGE)
        .map(|v| format!("{}: {}", clip(&v.field), clip(&v.description)))
        .collect::<Vec<_>>()
        .join("; ");
    if violations.len() > VIOLATIONS_IN_MESSAGE {
        text.push_str(&format!(
            "; and {} more (the BadRequest detail lists up to {VIOLATIONS_SHOWN})",
            violations.len() - VIOLATIONS_IN_MESSAGE
        ));
    }
    text
}

impl ApiError {
    /// An `INVALID_ARGUMENT` error about one field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::InvalidArgument(vec![Violation::new(field, description)])
    }

    /// The error of a client stream that failed while a handler read it:
    /// the gateway's stream limits keep their code and reason; anything
    /// else is a broken stream (`INVALID_ARGUMENT` on field `stream`).
    pub fn from_stream(status: &Status) -> Self {
        match status.code() {
            Code::ResourceExhausted => Self::StreamLimit(status.message().to_string()),
            Code::DeadlineExceeded => Self::DeadlinePassed(status.message().to_string()),
            _ => Self::invalid("stream", format!("the stream broke: {}", status.message())),
        }
    }

    /// A `NOT_FOUND` error for a resource name.
    pub fn not_found(resource: impl Into<String>) -> Self {
        Self::NotFound {
            resource: resource.into(),
        }
    }

    /// The gRPC code this error is answered with.
    pub fn code(&self) -> Code {
        match self {
            Self::InvalidArgument(_) => Code::InvalidArgument,
            Self::NotFound { .. } => Code::NotFound,
            Self::AlreadyExists { .. } => Code::AlreadyExists,
            Self::FailedPrecondition { .. } => Code::FailedPrecondition,
            Self::StaleEtag { .. } => Code::Aborted,
            Self::Unauthenticated(_) => Code::Unauthenticated,
            Self::PermissionDenied(_) | Self::MissingRole(_) => Code::PermissionDenied,
            Self::Unavailable(_) => Code::Unavailable,
            Self::Overloaded(_) | Self::RateLimited(..) | Self::StreamLimit(_) => {
                Code::ResourceExhausted
            }
            Self::DeadlinePassed(_) => Code::DeadlineExceeded,
            Self::Internal(_) => Code::Internal,
            Self::ServedElsewhere(_) => Code::Unimplemented,
        }
    }

    /// The `ErrorInfo.reason`: stable, UPPER_SNAKE, for programs to branch
    /// on; the name of a value of `probity.common.v1.ErrorReason` or, for
    /// refusals particular to a service, of the service's own enum.
    pub fn reason(&self) -> &'static str {
        let common = match self {
            Self::AlreadyExists { reason, .. } | Self::FailedPrecondition { reason, .. } => {
                return reason;
            }
            Self::InvalidArgument(_) => ErrorReason::InvalidArgument,
            Self::NotFound { .. } => ErrorReason::ResourceNotFound,
            Self::StaleEtag { .. } => ErrorReason::EtagMismatch,
            Self::Unauthenticated(_) => ErrorReason::Unauthenticated,
            Self::PermissionDenied(_) => ErrorReason::OutOfScope,
            Self::MissingRole(_) => ErrorReason::MissingRole,
            Self::Unavailable(_) => ErrorReason::BackendUnavailable,
            Self::Overloaded(_) => ErrorReason::Overloaded,
            Self::RateLimited(..) => ErrorReason::RateLimited,
            Self::StreamLimit(_) => ErrorReason::StreamLimit,
            Self::DeadlinePassed(_) => ErrorReason::DeadlinePassed,
            Self::Internal(_) => ErrorReason::Internal,
            Self::ServedElsewhere(_) => ErrorReason::ServedElsewhere,
        };
        common.as_str_name()
    }

    /// Converts into a [`Status`] for the service whose error domain is
    /// `domain` (e.g. `members.probity`).
    pub fn into_status(self, domain: &str) -> Status {
        let code = self.code();
        let reason = self.reason();
        let mut details = ErrorDetails::new();
        let mut metadata = std::collections::HashMap::new();
        match &self {
            Self::InvalidArgument(violations) => {
                details.set_bad_request(
                    shown(violations)
                        .iter()
                        .map(|(field, description)| FieldViolation::new(field, description))
                        .collect::<Vec<_>>(),
                );
            }
            Self::NotFound { resource } => {
                metadata.insert("resource".to_string(), resource.clone());
            }
            Self::StaleEtag {
                resource, current, ..
            } => {
                metadata.insert("resource".to_string(), resource.clone());
                metadata.insert("current_etag".to_string(), current.clone());
            }
            Self::Internal(detail) => {
                tracing::error!(detail = %detail, "internal error");
            }
            Self::Overloaded(delay) | Self::RateLimited(_, delay) => {
                details.set_retry_info(Some(*delay));
            }
            _ => {}
        }
        details.set_error_info(reason, domain, metadata);
        let message = self.to_string();
        Status::with_error_details(code, message, details)
    }
}

/// What callers are told when the database cannot be reached.
const DATABASE_UNAVAILABLE: &str = "the service cannot reach its database right now; retry later";

impl From<Violation> for ApiError {
    fn from(v: Violation) -> Self {
        Self::InvalidArgument(vec![v])
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        use sqlx::Error as E;
        let unavailable = match &err {
            E::PoolTimedOut | E::PoolClosed | E::Io(_) | E::Tls(_) | E::WorkerCrashed => true,
            E::Database(db) => is_unavailable_code(db.code().as_deref()),
            _ => false,
        };
        if unavailable {
            tracing::warn!(detail = %err, "database unavailable");
            Self::Unavailable(DATABASE_UNAVAILABLE.into())
        } else {
            Self::Internal(err.to_string())
        }
    }
}

/// Database error codes that mean "cannot serve now" rather than "bug":
/// SQLite busy/locked, PostgreSQL connection and shutdown classes.
fn is_unavailable_code(code: Option<&str>) -> bool {
    match code {
        Some(c) => {
            matches!(c, "5" | "6" | "517" | "261" | "262")
                || c.starts_with("08")
                || c.starts_with("57P")
                || c == "53300"
        }
        None => false,
    }
}

/// True when `err` is a unique-constraint violation on either backend.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

/// The conversions every service's error enum has, for an enum `$error`
/// with an `Api(ApiError)` variant whose refusals carry the error domain
/// `$domain`: from a database error and from a field violation (both
/// through [`ApiError`]), and to `tonic::Status` through its own
/// `From<$error> for ApiError` — the service's one mapping — with its
/// domain. The service writes that mapping; this writes the rest once.
#[macro_export]
macro_rules! service_error_conversions {
    ($error:ty, $domain:expr) => {
        impl From<sqlx::Error> for $error {
            fn from(err: sqlx::Error) -> Self {
                Self::Api(err.into())
            }
        }

        impl From<$crate::error::Violation> for $error {
            fn from(v: $crate::error::Violation) -> Self {
                Self::Api(v.into())
            }
        }

        impl From<$error> for tonic::Status {
            fn from(err: $error) -> Self {
                $crate::ApiError::from(err).into_status($domain)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_carries_violations_and_error_info() {
        let status =
            ApiError::InvalidArgument(vec![Violation::new("member.full_name", "required")])
                .into_status("members.probity");
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let bad = details.bad_request().expect("bad request");
        assert_eq!(bad.field_violations[0].field, "member.full_name");
        let info = details.error_info().expect("error info");
        assert_eq!(info.reason, ErrorReason::InvalidArgument.as_str_name());
        assert_eq!(info.domain, "members.probity");
    }

    #[test]
    fn any_number_of_violations_fits_the_header_limit() {
        let long = "Đảng viên ".repeat(2_000);
        let many: Vec<Violation> = (0..5_000)
            .map(|i| Violation::new(format!("requests[{i}].{long}"), long.clone()))
            .collect();
        let status = ApiError::InvalidArgument(many).into_status("members.probity");
        let header = status
            .into_http::<tonic::body::Body>()
            .headers()
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len())
            .sum::<usize>();
        assert!(header < 16 * 1024, "{header} bytes of headers");
        let status = ApiError::InvalidArgument(
            (0..100)
                .map(|i| Violation::new(format!("r[{i}]"), "bad"))
                .collect(),
        )
        .into_status("d");
        let bad = status.get_error_details().bad_request().cloned().unwrap();
        assert_eq!(bad.field_violations.len(), VIOLATIONS_SHOWN + 1);
        assert_eq!(bad.field_violations[0].field, "r[0]");
        let last = bad.field_violations.last().unwrap();
        assert!(last.field.is_empty());
        assert!(
            last.description.starts_with("85 more"),
            "{}",
            last.description
        );
        assert!(
            status.message().contains("and 97 more"),
            "{}",
            status.message()
        );
    }

    #[test]
    fn internal_errors_hide_their_detail() {
        let status = ApiError::Internal("SELECT * FROM secret at /var/lib".into())
            .into_status("members.probity");
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("SELECT"));
        assert!(!status.message().contains("/var"));
    }

    #[test]
    fn pool_timeout_is_unavailable_without_detail() {
        let err: ApiError = sqlx::Error::PoolTimedOut.into();
        assert_eq!(err.code(), Code::Unavailable);
        assert_eq!(err.into_status("d").message(), DATABASE_UNAVAILABLE);
    }
}
