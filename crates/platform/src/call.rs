//! What a handler knows about the call it serves: the caller, the method and
//! the request id, taken from the request extensions that the server layer
//! filled in.

use crate::{auth::Caller, error::ApiError};

/// Put in the request extensions by the server layer for every call.
#[derive(Debug, Clone)]
pub struct CallInfo {
    /// Full gRPC method path, e.g. `/probity.members.v1.MemberService/GetMember`.
    pub method: String,
    /// The `x-request-id` of the call, generated when the client sent none.
    pub request_id: String,
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
            });
        Ok(Self {
            caller,
            method: info.method,
            request_id: info.request_id,
        })
    }
}

/// Runs a unary handler: reads the call context, hands the message to `f`
/// and maps its error (the service's own error type) to a `Status`. Every
/// unary method of every service goes through here.
pub async fn unary<T, R, E, Fut>(
    request: tonic::Request<T>,
    f: impl FnOnce(Call, T) -> Fut,
) -> Result<tonic::Response<R>, tonic::Status>
where
    Fut: std::future::Future<Output = Result<R, E>>,
    E: From<ApiError> + Into<tonic::Status>,
{
    let call = Call::of(&request).map_err(|e| E::from(e).into())?;
    f(call, request.into_inner())
        .await
        .map(tonic::Response::new)
        .map_err(Into::into)
}
