//! What a handler knows about the call it serves: the caller, the method and
//! the request id, taken from the request extensions that the server layer
//! filled in.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use crate::{
    auth::Caller,
    clock::Clock,
    error::ApiError,
    pagination::PageKey,
    policy::{Access, Rule},
};

/// Put in the request extensions by the server layer for every call.
#[derive(Debug, Clone)]
pub struct CallInfo {
    /// Full gRPC method path, e.g. `/probity.members.v1.MemberService/GetMember`.
    pub method: String,
    /// The `x-request-id` of the call, generated when the client sent none.
    pub request_id: String,
    /// The caller's `authorization` header, forwarded on calls this call
    /// makes to other services.
    pub authorization: Option<String>,
    /// When the caller stops waiting (from `grpc-timeout`), for the calls
    /// this call makes to other services.
    pub deadline: Option<std::time::Instant>,
    /// The server's clock.
    pub clock: Clock,
    /// The method's policy rule (the gateway found it and checked its roles).
    pub rule: Option<Rule>,
    /// The key that seals the server's page tokens.
    pub page_key: PageKey,
    /// How long a retry is answered from its first response.
    pub idempotency_retention: std::time::Duration,
    /// The `traceparent` the caller sent, passed on unchanged to the
    /// services this call calls when this server records no spans.
    pub traceparent: Option<String>,
}

/// The context of one authenticated call.
#[derive(Debug, Clone)]
pub struct Call {
    /// Who is calling.
    pub caller: Caller,
    /// Full gRPC method path.
    pub method: String,
    /// The `x-request-id` of the call.
    pub request_id: String,
    /// The caller's `authorization` header, to forward.
    pub authorization: Option<String>,
    /// The caller's deadline, to propagate.
    pub deadline: Option<std::time::Instant>,
    /// The server's clock: the one source of "now" and "today".
    pub clock: Clock,
    /// The method's policy rule; `None` only for calls that did not pass
    /// the gateway (which then have no caller either).
    pub rule: Option<Rule>,
    /// The key that seals the server's page tokens.
    pub page_key: PageKey,
    /// How long a retry is answered from its first response.
    pub idempotency_retention: std::time::Duration,
    /// The caller's `traceparent`, to pass on ([`crate::telemetry`]).
    pub traceparent: Option<String>,
    /// Set once the handler has checked the caller's scope.
    authorized: Arc<AtomicBool>,
}

impl Call {
    /// Reads the call context from a request. Fails with `UNAUTHENTICATED`
    /// when the server layer did not authenticate the call (which only
    /// happens when a service is mounted without it).
    pub fn of<T>(request: &tonic::Request<T>) -> Result<Self, ApiError> {
        let caller = request
            .extensions()
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::Unauthenticated("no caller identity on this call".into()))?;
        let info = request
            .extensions()
            .get::<CallInfo>()
            .cloned()
            .unwrap_or(CallInfo {
                method: String::new(),
                request_id: String::new(),
                authorization: None,
                deadline: None,
                clock: Clock::system(),
                rule: None,
                page_key: PageKey::generate(),
                idempotency_retention: crate::write::DEFAULT_IDEMPOTENCY_RETENTION,
                traceparent: None,
            });
        Ok(Self::from_parts(caller, info))
    }

    /// A call made by service `service` itself ([`Caller::service`]) for
    /// `method` (a name for the audit log, e.g. `jobs/escalate`), on
    /// `clock`: how a job that writes opens its write.
    pub fn system(service: &str, method: &str, clock: Clock) -> Self {
        Self::from_parts(
            Caller::service(service),
            CallInfo {
                method: method.to_string(),
                request_id: String::new(),
                authorization: None,
                deadline: None,
                clock,
                rule: None,
                page_key: PageKey::generate(),
                idempotency_retention: crate::write::DEFAULT_IDEMPOTENCY_RETENTION,
                traceparent: None,
            },
        )
    }

    /// A call of `caller` with what the server layer knows of it; for the
    /// layer itself and for tests.
    pub fn from_parts(caller: Caller, info: CallInfo) -> Self {
        Self {
            caller,
            method: info.method,
            request_id: info.request_id,
            authorization: info.authorization,
            deadline: info.deadline,
            clock: info.clock,
            rule: info.rule,
            page_key: info.page_key,
            idempotency_retention: info.idempotency_retention,
            traceparent: info.traceparent,
            authorized: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The scope check of a request naming a record owned by an organisation
    /// whose lineage on today's tree (root first, the owner last) is
    /// `lineage`: `NOT_FOUND` for `name` unless the caller's scope covers
    /// it, exactly as if `name` did not exist. Every handler of a
    /// [`Access::Read`] or [`Access::Write`] method calls this (or
    /// [`scoped`](Self::scoped)) before it answers.
    pub fn authorize<'a>(
        &self,
        lineage: impl IntoIterator<Item = &'a str>,
        name: &str,
    ) -> Result<(), ApiError> {
        self.check_scope(lineage, || ApiError::not_found(name))
    }

    /// The scope check of a change to a record the caller has been shown
    /// (a cell reads its province's plan): `PERMISSION_DENIED` unless the
    /// caller's scope covers the owner. Use only after the record passed a
    /// read check, so the refusal reveals nothing.
    pub fn authorize_change<'a>(
        &self,
        lineage: impl IntoIterator<Item = &'a str>,
        name: &str,
    ) -> Result<(), ApiError> {
        self.check_scope(lineage, || {
            ApiError::PermissionDenied(format!(
                "{name} is outside your organisation scope: you may read it, not change it"
            ))
        })
    }

    /// Records that the scope was checked, and answers `refusal()` unless
    /// the caller's scope covers `lineage`.
    fn check_scope<'a>(
        &self,
        lineage: impl IntoIterator<Item = &'a str>,
        refusal: impl FnOnce() -> ApiError,
    ) -> Result<(), ApiError> {
        self.authorized.store(true, Ordering::Relaxed);
        if self.caller.covers(lineage) {
            Ok(())
        } else {
            Err(refusal())
        }
    }

    /// Marks the call as checked by other means (a list whose query keeps
    /// only what the caller's scope covers) and returns the caller to filter
    /// with.
    pub fn scoped(&self) -> &Caller {
        self.authorized.store(true, Ordering::Relaxed);
        &self.caller
    }

    /// `INTERNAL` when the method's rule asks for a scope check and the
    /// handler made none: a bug, never an answer.
    pub fn check_authorized(&self) -> Result<(), ApiError> {
        self.scope_guard().check()
    }

    /// What [`check_authorized`](Self::check_authorized) needs, kept by
    /// [`unary`] while the handler owns the call.
    fn scope_guard(&self) -> ScopeGuard {
        ScopeGuard {
            rule: self.rule,
            authorized: self.authorized.clone(),
        }
    }

    /// The method's access kind (`Read` when no rule is known).
    pub fn access(&self) -> Access {
        self.rule.map_or(Access::Read, |r| r.access)
    }

    /// Today in Vietnam, by the server's clock.
    pub fn today(&self) -> time::Date {
        self.clock.today()
    }

    /// Now, in microseconds since the epoch, by the server's clock.
    pub fn now_micros(&self) -> i64 {
        self.clock.now_micros()
    }
}

/// Whether a call's handler checked the caller's scope, when its rule asks
/// for it.
struct ScopeGuard {
    rule: Option<Rule>,
    authorized: Arc<AtomicBool>,
}

impl ScopeGuard {
    fn check(&self) -> Result<(), ApiError> {
        let needed = self.rule.is_none_or(|r| r.access.needs_owner());
        if needed && !self.authorized.load(Ordering::Relaxed) {
            // The call's span names the method.
            return Err(ApiError::Internal(
                "the handler answered without checking the caller's scope".into(),
            ));
        }
        Ok(())
    }
}

/// Runs a unary handler: reads the call context, hands the message to `f`
/// and maps its error (the service's own error type) to a `Status`. Every
/// unary method of every service goes through here. A handler that answers
/// without the scope check its method's rule asks for is turned into
/// `INTERNAL` ([`Call::check_authorized`]); so is a handler that panics
/// (for that call only, logged with the request id).
pub async fn unary<T, R, E, Fut>(
    request: tonic::Request<T>,
    f: impl FnOnce(Call, T) -> Fut,
) -> Result<tonic::Response<R>, tonic::Status>
where
    Fut: std::future::Future<Output = Result<R, E>>,
    E: From<ApiError> + Into<tonic::Status>,
{
    use futures::FutureExt;
    let call = Call::of(&request).map_err(|e| E::from(e).into())?;
    let guard = call.scope_guard();
    let outcome = match std::panic::AssertUnwindSafe(f(call, request.into_inner()))
        .catch_unwind()
        .await
    {
        Ok(outcome) => outcome.map_err(Into::into),
        // A bug: this call fails, the server goes on. The detail is in the
        // log, under the call's request id.
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            // The call's span carries its method and request id.
            tracing::error!(panic = %what, "handler panicked");
            return Err(E::from(ApiError::Internal(format!("handler panicked: {what}"))).into());
        }
    };
    // An answer, or a refusal that tells something about stored data, is
    // given only after the scope check.
    let tells_data = match &outcome {
        Ok(_) => true,
        Err(status) => matches!(
            status.code(),
            tonic::Code::AlreadyExists | tonic::Code::FailedPrecondition | tonic::Code::Aborted
        ),
    };
    if tells_data {
        guard.check().map_err(|e| E::from(e).into())?;
    }
    outcome.map(tonic::Response::new)
}

/// Reads a `grpc-timeout` header value (`<digits><unit>`, units `H M S m u
/// n`) as a duration.
pub fn parse_grpc_timeout(value: &str) -> Option<std::time::Duration> {
    use std::time::Duration;
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.checked_mul(3600)?),
        "M" => Duration::from_secs(n.checked_mul(60)?),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn grpc_timeouts() {
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("2M"), Some(Duration::from_secs(120)));
        assert_eq!(parse_grpc_timeout("S"), None);
        assert_eq!(parse_grpc_timeout("5x"), None);
        assert_eq!(parse_grpc_timeout("1234567890S"), None);
    }
}
